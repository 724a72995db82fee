import { stringify } from "yaml";

export interface CloudAccount {
  name: string;
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  region: string;
}

/** clouds.yaml for the openstack CLI and openstacksdk. */
export function cloudsYaml(accounts: CloudAccount[]): string {
  const clouds = Object.fromEntries(
    accounts.map((a) => [
      a.name,
      {
        auth: {
          auth_url: a.authUrl, username: a.username, password: a.password, project_name: a.projectName,
          user_domain_name: "Default", project_domain_name: "Default",
        },
        region_name: a.region, interface: "public", identity_api_version: 3,
      },
    ]),
  );
  return stringify({ clouds });
}
