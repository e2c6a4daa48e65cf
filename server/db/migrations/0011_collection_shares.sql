CREATE TABLE `collection_shares` (
	`collection_id` integer NOT NULL,
	`group_id` text NOT NULL,
	`access` text NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`collection_id`, `group_id`),
	FOREIGN KEY (`collection_id`) REFERENCES `collections`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "collection_shares_access" CHECK("collection_shares"."access" IN ('read', 'write'))
);
--> statement-breakpoint
CREATE INDEX `collection_shares_group` ON `collection_shares` (`group_id`);