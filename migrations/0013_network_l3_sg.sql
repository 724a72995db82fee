CREATE TABLE `default_security_groups` (
	`project_id` text PRIMARY KEY NOT NULL,
	`security_group_id` text NOT NULL,
	FOREIGN KEY (`security_group_id`) REFERENCES `security_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `floating_ips` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`floating_network_id` text NOT NULL,
	`floating_port_id` text NOT NULL,
	`floating_ip_address` text NOT NULL,
	`port_id` text,
	`fixed_ip_address` text,
	`router_id` text,
	`description` text DEFAULT '' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`floating_network_id`) REFERENCES `networks`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`floating_port_id`) REFERENCES `ports`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`port_id`) REFERENCES `ports`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`router_id`) REFERENCES `routers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `floating_ips_port_fixed` ON `floating_ips` (`port_id`,`fixed_ip_address`);--> statement-breakpoint
CREATE TABLE `network_quotas` (
	`project_id` text NOT NULL,
	`resource` text NOT NULL,
	`hard_limit` integer NOT NULL,
	PRIMARY KEY(`project_id`, `resource`)
);
--> statement-breakpoint
CREATE TABLE `routers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`project_id` text NOT NULL,
	`admin_state_up` integer DEFAULT true NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`gateway_network_id` text,
	`enable_snat` integer DEFAULT true NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`gateway_network_id`) REFERENCES `networks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `security_group_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`security_group_id` text NOT NULL,
	`project_id` text NOT NULL,
	`direction` text NOT NULL,
	`ethertype` text DEFAULT 'IPv4' NOT NULL,
	`protocol` text,
	`port_range_min` integer,
	`port_range_max` integer,
	`remote_ip_prefix` text,
	`remote_group_id` text,
	`description` text DEFAULT '' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`security_group_id`) REFERENCES `security_groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`remote_group_id`) REFERENCES `security_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `security_group_rules_group` ON `security_group_rules` (`security_group_id`);--> statement-breakpoint
CREATE TABLE `security_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
ALTER TABLE `networks` ADD `port_security_enabled` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `ports` ADD `description` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `ports` ADD `port_security_enabled` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `ports` ADD `allowed_address_pairs` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `ports` ADD `security_group_ids` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `ports` ADD `preexisting` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `subnets` ADD `host_routes` text DEFAULT '[]' NOT NULL;