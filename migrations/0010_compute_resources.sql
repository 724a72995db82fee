CREATE TABLE `aggregate_hosts` (
	`aggregate_id` integer NOT NULL,
	`host_id` text NOT NULL,
	PRIMARY KEY(`aggregate_id`, `host_id`)
);
--> statement-breakpoint
CREATE TABLE `aggregates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`name` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `aggregates_uuid_unique` ON `aggregates` (`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `aggregates_name_unique` ON `aggregates` (`name`);--> statement-breakpoint
CREATE TABLE `flavor_extra_specs` (
	`flavor_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`flavor_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `flavor_projects` (
	`flavor_id` text NOT NULL,
	`project_id` text NOT NULL,
	PRIMARY KEY(`flavor_id`, `project_id`)
);
--> statement-breakpoint
CREATE TABLE `host_services` (
	`host_id` text PRIMARY KEY NOT NULL,
	`disabled_reason` text,
	`forced_down` integer DEFAULT false NOT NULL,
	`host_ip` text DEFAULT '' NOT NULL,
	`arch` text DEFAULT '' NOT NULL,
	`running_vms` integer DEFAULT 0 NOT NULL,
	`updated_at` text
);
--> statement-breakpoint
CREATE TABLE `quota_classes` (
	`class_name` text NOT NULL,
	`resource` text NOT NULL,
	`hard_limit` integer NOT NULL,
	PRIMARY KEY(`class_name`, `resource`)
);
--> statement-breakpoint
CREATE TABLE `quotas` (
	`project_id` text NOT NULL,
	`resource` text NOT NULL,
	`hard_limit` integer NOT NULL,
	PRIMARY KEY(`project_id`, `resource`)
);
--> statement-breakpoint
CREATE TABLE `server_group_members` (
	`group_id` text NOT NULL,
	`server_id` text NOT NULL,
	PRIMARY KEY(`group_id`, `server_id`)
);
--> statement-breakpoint
CREATE INDEX `server_group_members_server` ON `server_group_members` (`server_id`);--> statement-breakpoint
CREATE TABLE `server_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`policy` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `server_groups_project` ON `server_groups` (`project_id`);--> statement-breakpoint
ALTER TABLE `servers` ADD `availability_zone` text;