CREATE TABLE `host_external_networks` (
	`host_id` text PRIMARY KEY NOT NULL,
	`networks` text
);
--> statement-breakpoint
CREATE TABLE `router_bindings` (
	`router_id` text PRIMARY KEY NOT NULL,
	`host_id` text,
	`reason` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `router_cleanups` (
	`router_id` text NOT NULL,
	`host_id` text NOT NULL,
	PRIMARY KEY(`router_id`, `host_id`)
);
