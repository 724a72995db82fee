CREATE TABLE `image_members` (
	`image_id` text NOT NULL,
	`member_id` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	PRIMARY KEY(`image_id`, `member_id`),
	FOREIGN KEY (`image_id`) REFERENCES `images`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `image_members_member` ON `image_members` (`member_id`);--> statement-breakpoint
ALTER TABLE `images` ADD `os_hidden` integer DEFAULT false NOT NULL;