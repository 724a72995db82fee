import { describe, expect, it } from "vitest";
import { descendants, effectiveAssignments, impliedBy, rolesOnTarget, targetsOfUser, type Grant, type World } from "./engine.js";
import { revocationsForGrant } from "./revoke.js";
import { grantPath } from "./views.js";

const projects = [
  { id: "root", domainId: "d1", parentId: null },
  { id: "mid", domainId: "d1", parentId: "root" },
  { id: "leaf", domainId: "d1", parentId: "mid" },
  { id: "other", domainId: "d2", parentId: null },
];
const world = (over: Partial<World> = {}): World => ({
  membersOf: (g) => (g === "g1" ? ["u1", "u2"] : []),
  projects,
  roles: [{ id: "A", domainId: null }, { id: "M", domainId: null }, { id: "R", domainId: null }, { id: "X", domainId: null }, { id: "DR", domainId: "d1" }],
  rules: [{ priorRoleId: "A", impliedRoleId: "M" }, { priorRoleId: "M", impliedRoleId: "R" }],
  ...over,
});
const grant = (g: Partial<Grant>): Grant => ({ actorType: "user", actorId: "u1", targetType: "project", targetId: "root", roleId: "X", inherited: false, ...g });
const held = (list: ReturnType<typeof effectiveAssignments>) => list.map((e) => `${e.userId}@${e.targetId}:${e.roleId}`);

describe("effective assignments", () => {
  it("follows inference rules transitively, one step at a time, and stops at cycles", () => {
    expect(impliedBy("A", world().rules)).toEqual([{ roleId: "M", priorRoleId: "A" }, { roleId: "R", priorRoleId: "M" }]);
    expect(impliedBy("R", [{ priorRoleId: "R", impliedRoleId: "M" }, { priorRoleId: "M", impliedRoleId: "R" }])).toEqual([{ roleId: "M", priorRoleId: "R" }]);
  });

  it("expands implied roles, keeping a direct holding over an implied duplicate", () => {
    const list = effectiveAssignments([grant({ roleId: "A" }), grant({ roleId: "R" })], world());
    expect(held(list)).toEqual(["u1@root:A", "u1@root:R", "u1@root:M"]);
    expect(list[2]).toMatchObject({ priorRoleId: "A", grant: { roleId: "A" } });
  });

  it("gives a group's grants to each member", () => {
    const list = effectiveAssignments([grant({ actorType: "group", actorId: "g1", targetType: "domain", targetId: "d1" })], world());
    expect(list.map((e) => [e.userId, e.groupId, e.targetType])).toEqual([["u1", "g1", "domain"], ["u2", "g1", "domain"]]);
  });

  it("applies inherited grants to the projects below the target, not to the target", () => {
    expect(held(effectiveAssignments([grant({ inherited: true })], world()))).toEqual(["u1@mid:X", "u1@leaf:X"]);
    expect(held(effectiveAssignments([grant({ targetType: "domain", targetId: "d1", inherited: true })], world()))).toEqual(["u1@root:X", "u1@mid:X", "u1@leaf:X"]);
    expect(descendants(projects, "leaf")).toEqual([]);
  });

  it("drops domain-specific roles but keeps what they imply", () => {
    const w = world({ rules: [{ priorRoleId: "DR", impliedRoleId: "X" }] });
    expect(held(effectiveAssignments([grant({ roleId: "DR" })], w))).toEqual(["u1@root:X"]);
  });

  it("answers a user's roles on a target and the targets they hold roles on", () => {
    const list = effectiveAssignments([grant({ roleId: "M" }), grant({ actorType: "group", actorId: "g1", targetId: "other", roleId: "X" })], world());
    expect(rolesOnTarget(list, "u1", "project", "root")).toEqual(["M", "R"]);
    expect(targetsOfUser(list, "u2", "project")).toEqual(["other"]);
  });
});

describe("grant links and revocation", () => {
  it("builds Keystone's grant URLs", () => {
    expect(grantPath(grant({}))).toBe("/projects/root/users/u1/roles/X");
    expect(grantPath(grant({ actorType: "group", actorId: "g1", targetType: "domain", targetId: "d1", inherited: true }))).toBe("/OS-INHERIT/domains/d1/groups/g1/roles/X/inherited_to_projects");
    expect(grantPath(grant({ targetType: "system", targetId: "system" }))).toBe("/system/users/u1/roles/X");
  });

  it("revokes exactly the tokens a removed grant could have fed", () => {
    expect(revocationsForGrant(grant({}), ["u1"], projects)).toEqual([{ userId: "u1", projectId: "root" }]);
    expect(revocationsForGrant(grant({ inherited: true }), ["u1", "u2"], projects)).toEqual([
      { userId: "u1", projectId: "mid" }, { userId: "u1", projectId: "leaf" }, { userId: "u2", projectId: "mid" }, { userId: "u2", projectId: "leaf" },
    ]);
    expect(revocationsForGrant(grant({ targetType: "domain", targetId: "d1" }), ["u1"], projects)).toEqual([{ userId: "u1", domainId: "d1" }]);
    expect(revocationsForGrant(grant({ targetType: "system", targetId: "system" }), ["u1"], projects)).toEqual([{ userId: "u1" }]);
  });
});
