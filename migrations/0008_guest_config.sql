ALTER TABLE `servers` ADD `config_drive` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `servers` ADD `user_data` text;--> statement-breakpoint
ALTER TABLE `servers` ADD `launch_index` integer DEFAULT 0 NOT NULL;