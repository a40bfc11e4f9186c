CREATE TABLE "backup_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"trigger" varchar(16) NOT NULL,
	"scheduled_for" timestamp with time zone,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"outcome" varchar(16) DEFAULT 'running' NOT NULL,
	"file_name" text,
	"bytes" bigint,
	"duration_ms" integer,
	"summary" jsonb,
	"error" text,
	"requested_by" uuid,
	CONSTRAINT "backup_runs_scheduled_for_key" UNIQUE("scheduled_for"),
	CONSTRAINT "backup_runs_trigger_check" CHECK ("backup_runs"."trigger" in ('manual', 'scheduled')),
	CONSTRAINT "backup_runs_outcome_check" CHECK ("backup_runs"."outcome" in ('running', 'success', 'failure'))
);
--> statement-breakpoint
ALTER TABLE "backup_runs" ADD CONSTRAINT "backup_runs_requested_by_fkey" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "backup_runs_started_at_idx" ON "backup_runs" USING btree ("started_at" DESC NULLS LAST);