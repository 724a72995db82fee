CREATE TABLE `login_attempts` (
	`user_key` text NOT NULL,
	`source` text NOT NULL,
	`failures` integer NOT NULL,
	`window_start` integer NOT NULL,
	PRIMARY KEY(`user_key`, `source`)
);
