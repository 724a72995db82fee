CREATE TABLE `flavors` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`vcpus` integer NOT NULL,
	`ram_mb` integer NOT NULL,
	`disk_gb` integer NOT NULL,
	`ephemeral_gb` integer DEFAULT 0 NOT NULL,
	`swap_mb` integer DEFAULT 0 NOT NULL,
	`rxtx_factor` integer DEFAULT 1 NOT NULL,
	`is_public` integer DEFAULT true NOT NULL,
	`description` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `flavors_name_unique` ON `flavors` (`name`);--> statement-breakpoint
CREATE TABLE `hosts` (
	`id` text PRIMARY KEY NOT NULL,
	`hostname` text DEFAULT '' NOT NULL,
	`secret_hash` text NOT NULL,
	`online` integer DEFAULT false NOT NULL,
	`last_seen_at` text,
	`vcpus` integer DEFAULT 0 NOT NULL,
	`memory_mb` integer DEFAULT 0 NOT NULL,
	`disk_gb` integer DEFAULT 0 NOT NULL,
	`hypervisor_type` text DEFAULT 'QEMU' NOT NULL,
	`version` text DEFAULT '' NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `images` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text,
	`owner` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`visibility` text DEFAULT 'shared' NOT NULL,
	`protected` integer DEFAULT false NOT NULL,
	`disk_format` text,
	`container_format` text,
	`size` integer,
	`virtual_size` integer,
	`checksum` text,
	`os_hash_algo` text,
	`os_hash_value` text,
	`min_disk` integer DEFAULT 0 NOT NULL,
	`min_ram` integer DEFAULT 0 NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`properties` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `images_owner` ON `images` (`owner`);--> statement-breakpoint
CREATE TABLE `ip_allocations` (
	`subnet_id` text NOT NULL,
	`ip_address` text NOT NULL,
	`port_id` text NOT NULL,
	`network_id` text NOT NULL,
	PRIMARY KEY(`subnet_id`, `ip_address`),
	FOREIGN KEY (`subnet_id`) REFERENCES `subnets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`port_id`) REFERENCES `ports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ip_allocations_port` ON `ip_allocations` (`port_id`);--> statement-breakpoint
CREATE TABLE `networks` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`project_id` text NOT NULL,
	`shared` integer DEFAULT false NOT NULL,
	`external` integer DEFAULT false NOT NULL,
	`admin_state_up` integer DEFAULT true NOT NULL,
	`mtu` integer DEFAULT 1500 NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `ports` (
	`id` text PRIMARY KEY NOT NULL,
	`network_id` text NOT NULL,
	`project_id` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`mac_address` text NOT NULL,
	`device_id` text DEFAULT '' NOT NULL,
	`device_owner` text DEFAULT '' NOT NULL,
	`host_id` text,
	`admin_state_up` integer DEFAULT true NOT NULL,
	`status` text DEFAULT 'DOWN' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`network_id`) REFERENCES `networks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ports_network_mac` ON `ports` (`network_id`,`mac_address`);--> statement-breakpoint
CREATE INDEX `ports_device` ON `ports` (`device_id`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`domain_id` text DEFAULT 'default' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_domain_name` ON `projects` (`domain_id`,`name`);--> statement-breakpoint
CREATE TABLE `revoked_tokens` (
	`audit_id` text PRIMARY KEY NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `role_assignments` (
	`user_id` text NOT NULL,
	`project_id` text NOT NULL,
	`role_id` text NOT NULL,
	PRIMARY KEY(`user_id`, `project_id`, `role_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`role_id`) REFERENCES `roles`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `roles` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `roles_name_unique` ON `roles` (`name`);--> statement-breakpoint
CREATE TABLE `servers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`flavor_id` text NOT NULL,
	`image_id` text NOT NULL,
	`host_id` text,
	`vcpus` integer NOT NULL,
	`memory_mb` integer NOT NULL,
	`disk_gb` integer NOT NULL,
	`vm_state` text DEFAULT 'building' NOT NULL,
	`task_state` text,
	`power_state` integer DEFAULT 0 NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`command_id` text,
	`fault` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`key_name` text,
	`launched_at` text,
	`deleted_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `servers_project` ON `servers` (`project_id`);--> statement-breakpoint
CREATE INDEX `servers_host` ON `servers` (`host_id`);--> statement-breakpoint
CREATE TABLE `subnets` (
	`id` text PRIMARY KEY NOT NULL,
	`network_id` text NOT NULL,
	`project_id` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`cidr` text NOT NULL,
	`ip_version` integer DEFAULT 4 NOT NULL,
	`gateway_ip` text,
	`enable_dhcp` integer DEFAULT true NOT NULL,
	`allocation_pools` text NOT NULL,
	`dns_nameservers` text DEFAULT '[]' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`network_id`) REFERENCES `networks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`domain_id` text DEFAULT 'default' NOT NULL,
	`password_hash` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`default_project_id` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_domain_name` ON `users` (`domain_id`,`name`);