CREATE TABLE "agent_offsets" (
	"agent_id" text PRIMARY KEY NOT NULL,
	"offset" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"capabilities" text[] DEFAULT '{}'::text[] NOT NULL,
	"priority" integer NOT NULL,
	"recovery" text NOT NULL,
	"meta" jsonb NOT NULL,
	"registered_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dead_letters" (
	"id" text PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"offset" bigint NOT NULL,
	"topic" text NOT NULL,
	"agent_id" text NOT NULL,
	"attempts" integer NOT NULL,
	"error" text NOT NULL,
	"at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"offset" bigint PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"topic" text NOT NULL,
	"priority" smallint NOT NULL,
	"ts" timestamp (3) with time zone NOT NULL,
	"publisher" text NOT NULL,
	"payload" text NOT NULL,
	CONSTRAINT "events_id_unique" UNIQUE("id"),
	CONSTRAINT "events_priority_range" CHECK ("events"."priority" between 0 and 3)
);
--> statement-breakpoint
CREATE TABLE "kv" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb,
	"version" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "session_messages" (
	"session_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"role" text NOT NULL,
	"author" text,
	"content" text NOT NULL,
	"metadata" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "session_messages_session_id_seq_pk" PRIMARY KEY("session_id","seq")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"version" integer NOT NULL,
	"members" text[] DEFAULT '{}'::text[] NOT NULL,
	"metadata" jsonb NOT NULL,
	"agent_state" jsonb NOT NULL,
	"message_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"last_activity_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "sessions_state_known" CHECK ("sessions"."state" in ('active', 'idle', 'expired'))
);
--> statement-breakpoint
ALTER TABLE "session_messages" ADD CONSTRAINT "session_messages_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dead_letters_at_idx" ON "dead_letters" USING btree ("at","id");--> statement-breakpoint
CREATE INDEX "events_topic_offset_idx" ON "events" USING btree ("topic" text_pattern_ops,"offset");--> statement-breakpoint
CREATE INDEX "events_ts_idx" ON "events" USING btree ("ts");--> statement-breakpoint
CREATE INDEX "sessions_updated_idx" ON "sessions" USING btree ("updated_at","id");--> statement-breakpoint
CREATE INDEX "sessions_state_updated_idx" ON "sessions" USING btree ("state","updated_at","id");--> statement-breakpoint
CREATE INDEX "sessions_state_activity_idx" ON "sessions" USING btree ("state","last_activity_at");--> statement-breakpoint
CREATE INDEX "sessions_members_gin" ON "sessions" USING gin ("members");