CREATE TABLE `chunk_vectors` (
	`space_id` integer NOT NULL,
	`chunk_id` integer NOT NULL,
	PRIMARY KEY(`space_id`, `chunk_id`),
	FOREIGN KEY (`space_id`) REFERENCES `vector_spaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`chunk_id`) REFERENCES `chunks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chunk_vectors_chunk` ON `chunk_vectors` (`chunk_id`);--> statement-breakpoint
CREATE TABLE `chunks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`document_id` integer NOT NULL,
	`collection_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`text` text NOT NULL,
	`start_char` integer NOT NULL,
	`end_char` integer NOT NULL,
	`tokens` integer NOT NULL,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chunks_document_seq` ON `chunks` (`document_id`,`seq`);--> statement-breakpoint
CREATE INDEX `chunks_collection` ON `chunks` (`collection_id`);--> statement-breakpoint
CREATE TABLE `collections` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`scope` text NOT NULL,
	`owner_id` text,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "collections_scope" CHECK("collections"."scope" IN ('private', 'shared')),
	CONSTRAINT "collections_owner" CHECK(("collections"."scope" = 'private') = ("collections"."owner_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX `collections_owner_idx` ON `collections` (`owner_id`);--> statement-breakpoint
CREATE TABLE `document_files` (
	`document_id` integer PRIMARY KEY NOT NULL,
	`bytes` blob NOT NULL,
	`declared_type` text,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `document_texts` (
	`document_id` integer PRIMARY KEY NOT NULL,
	`text` text NOT NULL,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `documents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`collection_id` integer NOT NULL,
	`title` text NOT NULL,
	`filename` text,
	`source_url` text,
	`format` text,
	`size_bytes` integer DEFAULT 0 NOT NULL,
	`sha256` text,
	`status` text NOT NULL,
	`stage` text DEFAULT 'queued' NOT NULL,
	`error` text,
	`chunk_count` integer DEFAULT 0 NOT NULL,
	`embedded_chunks` integer DEFAULT 0 NOT NULL,
	`token_count` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`collection_id`) REFERENCES `collections`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "documents_status" CHECK("documents"."status" IN ('queued', 'processing', 'ready', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `documents_collection` ON `documents` (`collection_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `documents_content` ON `documents` (`collection_id`,`sha256`);--> statement-breakpoint
CREATE TABLE `ingestion_jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`document_id` integer,
	`space_id` integer,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`run_after` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`space_id`) REFERENCES `vector_spaces`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "ingestion_jobs_kind" CHECK("ingestion_jobs"."kind" IN ('ingest', 'embed')),
	CONSTRAINT "ingestion_jobs_state" CHECK("ingestion_jobs"."state" IN ('queued', 'running', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `ingestion_jobs_due` ON `ingestion_jobs` (`state`,`run_after`);--> statement-breakpoint
CREATE UNIQUE INDEX `ingestion_jobs_document` ON `ingestion_jobs` (`document_id`) WHERE "ingestion_jobs"."document_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `ingestion_jobs_space` ON `ingestion_jobs` (`space_id`) WHERE "ingestion_jobs"."space_id" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `vector_spaces` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`model` text NOT NULL,
	`dimensions` integer NOT NULL,
	`layout` text NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`activated_at` integer,
	CONSTRAINT "vector_spaces_state" CHECK("vector_spaces"."state" IN ('building', 'active', 'retired'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `vector_spaces_one_per_state` ON `vector_spaces` (`state`) WHERE "vector_spaces"."state" IN ('active', 'building');--> statement-breakpoint
ALTER TABLE `conversations` ADD `knowledge` text;--> statement-breakpoint
-- Keyword search: an external-content FTS5 index over chunks.text (the text is stored once, in
-- chunks), kept in step by triggers so no code path can forget it. Porter stemming on unicode61
-- with diacritics folded: "installing" finds "installation", "resume" finds "résumé".
CREATE VIRTUAL TABLE `chunks_fts` USING fts5(`text`, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');--> statement-breakpoint
CREATE TRIGGER `chunks_fts_insert` AFTER INSERT ON `chunks` BEGIN
  INSERT INTO `chunks_fts`(rowid, `text`) VALUES (new.id, new.text);
END;--> statement-breakpoint
CREATE TRIGGER `chunks_fts_delete` AFTER DELETE ON `chunks` BEGIN
  INSERT INTO `chunks_fts`(`chunks_fts`, rowid, `text`) VALUES ('delete', old.id, old.text);
END;--> statement-breakpoint
CREATE TRIGGER `chunks_fts_update` AFTER UPDATE OF `text` ON `chunks` BEGIN
  INSERT INTO `chunks_fts`(`chunks_fts`, rowid, `text`) VALUES ('delete', old.id, old.text);
  INSERT INTO `chunks_fts`(rowid, `text`) VALUES (new.id, new.text);
END;
