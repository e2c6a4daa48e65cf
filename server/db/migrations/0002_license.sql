CREATE TABLE `licenses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`code` text NOT NULL,
	`license_id` text NOT NULL,
	`customer` text NOT NULL,
	`seats` integer NOT NULL,
	`features` text NOT NULL,
	`issued_at` integer NOT NULL,
	`not_before` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`grace_days` integer NOT NULL,
	`key_id` text NOT NULL,
	`installed_at` integer NOT NULL,
	`installed_by` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `licenses_installed` ON `licenses` (`installed_at`);