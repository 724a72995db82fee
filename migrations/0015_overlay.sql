CREATE TABLE `host_underlays` (
	`host_id` text PRIMARY KEY NOT NULL,
	`underlay_ip` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `network_segments` (
	`network_id` text PRIMARY KEY NOT NULL,
	`vni` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `network_segments_vni` ON `network_segments` (`vni`);