CREATE TABLE `feature_access` (
	`feature` text NOT NULL,
	`group_id` text NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`feature`, `group_id`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "feature_access_feature" CHECK("feature_access"."feature" IN ('web_pages', 'uploads', 'api_keys'))
);
