CREATE TABLE `miner_registration_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`label` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`miner_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `miner_registration_tokens_token_hash_unique` ON `miner_registration_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `miners` (
	`id` text PRIMARY KEY NOT NULL,
	`worker_id` text NOT NULL,
	`enrolled_via` text NOT NULL,
	`status` text NOT NULL,
	`token_hash` text NOT NULL,
	`pairing_key_hash` text,
	`pairing_failures` integer DEFAULT 0 NOT NULL,
	`registration_token_id` text,
	`version` text,
	`models` text,
	`created_at` integer NOT NULL,
	`confirmed_at` integer,
	`confirmed_by` text,
	`last_seen_at` integer,
	`last_address` text,
	CONSTRAINT "miners_status" CHECK("miners"."status" IN ('pending', 'active', 'disabled', 'revoked')),
	CONSTRAINT "miners_via" CHECK("miners"."enrolled_via" IN ('secret', 'token'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `miners_token_hash_unique` ON `miners` (`token_hash`);--> statement-breakpoint
CREATE INDEX `miners_worker` ON `miners` (`worker_id`);--> statement-breakpoint
CREATE TABLE `models` (
	`name` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`context_length` integer NOT NULL,
	`dimensions` integer,
	`enabled` integer DEFAULT true NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "models_kind" CHECK("models"."kind" IN ('chat', 'embedding'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `models_default` ON `models` (`kind`) WHERE "models"."is_default" = 1;--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`title` text NOT NULL,
	`model` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `conversations_user` ON `conversations` (`user_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`seq` integer NOT NULL,
	`role` text NOT NULL,
	`content` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`model` text,
	`miner_id` text,
	`prompt_tokens` integer,
	`completion_tokens` integer,
	`truncated` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "messages_role" CHECK("messages"."role" IN ('system', 'user', 'assistant')),
	CONSTRAINT "messages_status" CHECK("messages"."status" IN ('complete', 'streaming', 'failed', 'stopped'))
);
--> statement-breakpoint
CREATE INDEX `messages_conversation` ON `messages` (`conversation_id`,`seq`);--> statement-breakpoint
CREATE TABLE `usage` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`api_key_id` text,
	`source` text NOT NULL,
	`model` text NOT NULL,
	`miner_id` text,
	`prompt_tokens` integer NOT NULL,
	`completion_tokens` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`outcome` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`api_key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `usage_user_at` ON `usage` (`user_id`,`at`);--> statement-breakpoint
CREATE INDEX `usage_at` ON `usage` (`at`);--> statement-breakpoint
CREATE TABLE `user_budgets` (
	`user_id` text PRIMARY KEY NOT NULL,
	`daily` integer,
	`monthly` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
