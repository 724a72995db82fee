CREATE TABLE `volume_attachments` (
	`id` text PRIMARY KEY NOT NULL,
	`volume_id` text NOT NULL,
	`server_id` text NOT NULL,
	`host_id` text NOT NULL,
	`device` text NOT NULL,
	`delete_on_termination` integer DEFAULT false NOT NULL,
	`attached_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `volume_attachments_volume` ON `volume_attachments` (`volume_id`);--> statement-breakpoint
CREATE INDEX `volume_attachments_server` ON `volume_attachments` (`server_id`);--> statement-breakpoint
CREATE TABLE `volume_pools` (
	`host_id` text PRIMARY KEY NOT NULL,
	`backend` text NOT NULL,
	`total_gb` integer NOT NULL,
	`free_gb` integer NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `volume_quotas` (
	`project_id` text NOT NULL,
	`resource` text NOT NULL,
	`hard_limit` integer NOT NULL,
	PRIMARY KEY(`project_id`, `resource`)
);
--> statement-breakpoint
CREATE TABLE `volume_snapshots` (
	`id` text PRIMARY KEY NOT NULL,
	`volume_id` text NOT NULL,
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`name` text,
	`description` text,
	`size` integer NOT NULL,
	`status` text DEFAULT 'creating' NOT NULL,
	`progress` text,
	`host_id` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`command_id` text,
	`error_reason` text,
	`deleted_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `volume_snapshots_project` ON `volume_snapshots` (`project_id`);--> statement-breakpoint
CREATE INDEX `volume_snapshots_volume` ON `volume_snapshots` (`volume_id`);--> statement-breakpoint
CREATE TABLE `volume_types` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`is_public` integer DEFAULT true NOT NULL,
	`extra_specs` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `volume_types_name_unique` ON `volume_types` (`name`);--> statement-breakpoint
CREATE TABLE `volumes` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`name` text,
	`description` text,
	`size` integer NOT NULL,
	`status` text DEFAULT 'creating' NOT NULL,
	`host_id` text,
	`backend` text,
	`volume_type_id` text,
	`availability_zone` text DEFAULT 'nova' NOT NULL,
	`bootable` integer DEFAULT false NOT NULL,
	`readonly` text,
	`source_volid` text,
	`snapshot_id` text,
	`image_id` text,
	`image_metadata` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`command_id` text,
	`error_reason` text,
	`deleted_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `volumes_project` ON `volumes` (`project_id`);--> statement-breakpoint
CREATE INDEX `volumes_host` ON `volumes` (`host_id`);