CREATE TABLE `group_members` (
	`group_id` text NOT NULL,
	`user_id` text NOT NULL,
	`manager` integer DEFAULT false NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`group_id`, `user_id`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `group_members_user` ON `group_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `groups` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`kind` text NOT NULL,
	`directory` text,
	`directory_group` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "groups_kind" CHECK("groups"."kind" IN ('local', 'synced', 'everyone')),
	CONSTRAINT "groups_synced" CHECK(("groups"."kind" = 'synced') = ("groups"."directory" IS NOT NULL AND "groups"."directory_group" IS NOT NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `groups_name` ON `groups` (lower("name"));--> statement-breakpoint
CREATE TABLE `model_access` (
	`model_name` text NOT NULL,
	`group_id` text NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`model_name`, `group_id`),
	FOREIGN KEY (`model_name`) REFERENCES `models`(`name`) ON UPDATE cascade ON DELETE cascade,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `model_access_group` ON `model_access` (`group_id`);--> statement-breakpoint
INSERT INTO `groups` (`id`, `name`, `description`, `kind`, `created_at`, `updated_at`) VALUES ('everyone', 'Everyone', 'Every active user (built in)', 'everyone', CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));
