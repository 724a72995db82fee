CREATE TABLE `keypairs` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`type` text DEFAULT 'ssh' NOT NULL,
	`public_key` text NOT NULL,
	`fingerprint` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `keypairs_user_name` ON `keypairs` (`user_id`,`name`);--> statement-breakpoint
ALTER TABLE `servers` ADD `access_ip_v4` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `servers` ADD `access_ip_v6` text DEFAULT '' NOT NULL;