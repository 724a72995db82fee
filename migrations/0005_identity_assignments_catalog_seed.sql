-- Grants move to Keystone's assignment table (user on project, nothing inherited).
INSERT OR IGNORE INTO `assignments` (`actor_type`, `actor_id`, `target_type`, `target_id`, `role_id`, `inherited`)
  SELECT 'user', `user_id`, 'project', `project_id`, `role_id`, 0 FROM `role_assignments`;
--> statement-breakpoint
-- Keystone's default inference rules admin ⊃ member ⊃ reader, for roles that already exist.
INSERT OR IGNORE INTO `implied_roles` (`prior_role_id`, `implied_role_id`)
  SELECT p.`id`, i.`id` FROM `roles` p JOIN `roles` i ON (p.`name`, i.`name`) IN (VALUES ('admin', 'member'), ('member', 'reader'))
  WHERE p.`domain_id` IS NULL AND i.`domain_id` IS NULL;
--> statement-breakpoint
-- The catalog that edge/src/identity/catalog.ts used to build: one origin, a path prefix per service
-- (relative URLs are resolved against the API's public origin), same ids as before.
INSERT OR IGNORE INTO `regions` (`id`, `description`) VALUES ('RegionOne', '');
--> statement-breakpoint
INSERT OR IGNORE INTO `services` (`id`, `type`, `name`) VALUES ('identitysvc000000000000000000000', 'identity', 'keystone'), ('computesvc0000000000000000000000', 'compute', 'nova'), ('imagesvc000000000000000000000000', 'image', 'glance'), ('networksvc0000000000000000000000', 'network', 'neutron');
--> statement-breakpoint
INSERT OR IGNORE INTO `endpoints` (`id`, `service_id`, `interface`, `url`, `region_id`) VALUES
  ('identitypublic000000000000000000', 'identitysvc000000000000000000000', 'public', '/identity', 'RegionOne'),
  ('identityinternal0000000000000000', 'identitysvc000000000000000000000', 'internal', '/identity', 'RegionOne'),
  ('identityadmin0000000000000000000', 'identitysvc000000000000000000000', 'admin', '/identity', 'RegionOne'),
  ('computepublic0000000000000000000', 'computesvc0000000000000000000000', 'public', '/compute/v2.1', 'RegionOne'),
  ('computeinternal00000000000000000', 'computesvc0000000000000000000000', 'internal', '/compute/v2.1', 'RegionOne'),
  ('computeadmin00000000000000000000', 'computesvc0000000000000000000000', 'admin', '/compute/v2.1', 'RegionOne'),
  ('imagepublic000000000000000000000', 'imagesvc000000000000000000000000', 'public', '/image', 'RegionOne'),
  ('imageinternal0000000000000000000', 'imagesvc000000000000000000000000', 'internal', '/image', 'RegionOne'),
  ('imageadmin0000000000000000000000', 'imagesvc000000000000000000000000', 'admin', '/image', 'RegionOne'),
  ('networkpublic0000000000000000000', 'networksvc0000000000000000000000', 'public', '/network', 'RegionOne'),
  ('networkinternal00000000000000000', 'networksvc0000000000000000000000', 'internal', '/network', 'RegionOne'),
  ('networkadmin00000000000000000000', 'networksvc0000000000000000000000', 'admin', '/network', 'RegionOne');
