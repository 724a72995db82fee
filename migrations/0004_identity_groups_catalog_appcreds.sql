CREATE TABLE `application_credentials` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`user_id` text NOT NULL,
	`project_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`description` text,
	`expires_at` text,
	`expires_at_ms` integer,
	`unrestricted` integer DEFAULT false NOT NULL,
	`role_ids` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `application_credentials_user_name` ON `application_credentials` (`user_id`,`name`);--> statement-breakpoint
CREATE TABLE `assignments` (
	`actor_type` text NOT NULL,
	`actor_id` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`role_id` text NOT NULL,
	`inherited` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`actor_type`, `actor_id`, `target_type`, `target_id`, `role_id`, `inherited`),
	FOREIGN KEY (`role_id`) REFERENCES `roles`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `assignments_actor` ON `assignments` (`actor_id`);--> statement-breakpoint
CREATE INDEX `assignments_target` ON `assignments` (`target_id`);--> statement-breakpoint
CREATE TABLE `endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`service_id` text NOT NULL,
	`interface` text NOT NULL,
	`url` text NOT NULL,
	`region_id` text,
	`enabled` integer DEFAULT true NOT NULL,
	`extra` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `endpoints_service` ON `endpoints` (`service_id`);--> statement-breakpoint
CREATE TABLE `group_members` (
	`group_id` text NOT NULL,
	`user_id` text NOT NULL,
	PRIMARY KEY(`group_id`, `user_id`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `group_members_user` ON `group_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `groups` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`domain_id` text DEFAULT 'default' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`extra` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `groups_domain_name` ON `groups` (`domain_id`,`name`);--> statement-breakpoint
CREATE TABLE `implied_roles` (
	`prior_role_id` text NOT NULL,
	`implied_role_id` text NOT NULL,
	PRIMARY KEY(`prior_role_id`, `implied_role_id`),
	FOREIGN KEY (`prior_role_id`) REFERENCES `roles`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`implied_role_id`) REFERENCES `roles`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `regions` (
	`id` text PRIMARY KEY NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`parent_region_id` text,
	`extra` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE TABLE `services` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`extra` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
DROP INDEX `roles_name_unique`;--> statement-breakpoint
ALTER TABLE `roles` ADD `domain_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `roles_global_name` ON `roles` (`name`) WHERE domain_id IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `roles_domain_name` ON `roles` (`domain_id`,`name`);--> statement-breakpoint
ALTER TABLE `revocation_events` ADD `app_cred_id` text;--> statement-breakpoint
ALTER TABLE `users` ADD `password_history` text DEFAULT '[]' NOT NULL;