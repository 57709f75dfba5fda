ALTER TABLE "dead_letters" ADD COLUMN "status" text DEFAULT 'open' NOT NULL;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "resolved_by" text;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "resolved_at" timestamp (3) with time zone;