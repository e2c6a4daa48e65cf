ALTER TABLE `groups` ADD `budget_daily` integer;--> statement-breakpoint
ALTER TABLE `groups` ADD `budget_monthly` integer;