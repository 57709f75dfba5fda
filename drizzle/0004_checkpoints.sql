CREATE TABLE "checkpoint_writes" (
	"thread_id" text NOT NULL,
	"namespace" text NOT NULL,
	"checkpoint_id" text NOT NULL,
	"task_id" text NOT NULL,
	"idx" integer NOT NULL,
	"channel" text NOT NULL,
	"type" text NOT NULL,
	"data" text NOT NULL,
	"task_path" text DEFAULT '' NOT NULL,
	CONSTRAINT "checkpoint_writes_thread_id_namespace_checkpoint_id_task_id_idx_pk" PRIMARY KEY("thread_id","namespace","checkpoint_id","task_id","idx")
);
--> statement-breakpoint
CREATE TABLE "checkpoints" (
	"thread_id" text NOT NULL,
	"namespace" text NOT NULL,
	"id" text NOT NULL,
	"parent_id" text,
	"type" text NOT NULL,
	"data" text NOT NULL,
	"metadata" jsonb NOT NULL,
	CONSTRAINT "checkpoints_thread_id_namespace_id_pk" PRIMARY KEY("thread_id","namespace","id")
);
--> statement-breakpoint
CREATE INDEX "checkpoints_id_idx" ON "checkpoints" USING btree ("id" collate "C");