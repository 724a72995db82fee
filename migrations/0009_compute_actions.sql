CREATE TABLE `instance_action_events` (
	`id` text PRIMARY KEY NOT NULL,
	`action_id` text NOT NULL,
	`event` text NOT NULL,
	`host_id` text,
	`start_time` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`finish_time` text,
	`result` text,
	`traceback` text
);
--> statement-breakpoint
CREATE INDEX `instance_action_events_action` ON `instance_action_events` (`action_id`);--> statement-breakpoint
CREATE TABLE `instance_actions` (
	`id` text PRIMARY KEY NOT NULL,
	`server_id` text NOT NULL,
	`action` text NOT NULL,
	`request_id` text NOT NULL,
	`user_id` text NOT NULL,
	`project_id` text NOT NULL,
	`message` text,
	`start_time` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `instance_actions_server` ON `instance_actions` (`server_id`);--> statement-breakpoint
CREATE INDEX `instance_actions_request` ON `instance_actions` (`request_id`);--> statement-breakpoint
CREATE TABLE `server_extras` (
	`server_id` text PRIMARY KEY NOT NULL,
	`locked` integer DEFAULT false NOT NULL,
	`locked_by` text,
	`locked_reason` text,
	`description` text,
	`tags` text DEFAULT '[]' NOT NULL
);
--> statement-breakpoint
CREATE TABLE `server_migrations` (
	`id` text PRIMARY KEY NOT NULL,
	`server_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`source_host_id` text NOT NULL,
	`dest_host_id` text NOT NULL,
	`old_flavor_id` text NOT NULL,
	`new_flavor_id` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `server_migrations_server` ON `server_migrations` (`server_id`);