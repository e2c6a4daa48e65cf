CREATE TABLE `sealed_secrets` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`key_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sealed_secrets_key` ON `sealed_secrets` (`key_id`);