ALTER TABLE "session_messages" ADD COLUMN "message_id" text;--> statement-breakpoint
ALTER TABLE "session_messages" ADD COLUMN "session_version" integer;--> statement-breakpoint
ALTER TABLE "session_messages" ADD CONSTRAINT "session_messages_message_id_unique" UNIQUE("session_id","message_id");