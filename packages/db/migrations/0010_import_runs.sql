CREATE TABLE "import_rejects" (
	"run_id" uuid NOT NULL,
	"row_number" bigint NOT NULL,
	"line" bigint NOT NULL,
	"column_name" text,
	"value_excerpt" text,
	"reason" text NOT NULL,
	"fields" jsonb NOT NULL,
	CONSTRAINT "import_rejects_pkey" PRIMARY KEY("run_id","row_number")
);
--> statement-breakpoint
CREATE TABLE "import_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"project_id" uuid,
	"project_name" varchar(100) NOT NULL,
	"connection_id" uuid,
	"target_table" text NOT NULL,
	"file_name" text NOT NULL,
	"file_bytes" bigint,
	"sha256" char(64),
	"file_columns" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"mode" varchar(16) NOT NULL,
	"error_policy" varchar(16) NOT NULL,
	"max_rejects" integer NOT NULL,
	"started_by" uuid,
	"started_by_name" varchar(200) NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"instance_id" varchar(64) NOT NULL,
	"outcome" varchar(16) DEFAULT 'running' NOT NULL,
	"cancel_requested_at" timestamp with time zone,
	"bytes_read" bigint DEFAULT 0 NOT NULL,
	"rows_read" bigint DEFAULT 0 NOT NULL,
	"rows_written" bigint DEFAULT 0 NOT NULL,
	"rows_rejected" integer DEFAULT 0 NOT NULL,
	"error" jsonb,
	CONSTRAINT "import_runs_mode_check" CHECK ("import_runs"."mode" in ('insert', 'upsert', 'replace')),
	CONSTRAINT "import_runs_error_policy_check" CHECK ("import_runs"."error_policy" in ('all-or-nothing', 'skip')),
	CONSTRAINT "import_runs_outcome_check" CHECK ("import_runs"."outcome" in ('running', 'succeeded', 'failed', 'cancelled', 'interrupted'))
);
--> statement-breakpoint
ALTER TABLE "import_rejects" ADD CONSTRAINT "import_rejects_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "public"."import_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_runs" ADD CONSTRAINT "import_runs_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_runs" ADD CONSTRAINT "import_runs_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_runs" ADD CONSTRAINT "import_runs_started_by_fkey" FOREIGN KEY ("started_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "import_runs_workspace_started_idx" ON "import_runs" USING btree ("workspace_id","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "import_runs_project_started_idx" ON "import_runs" USING btree ("project_id","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "import_runs_one_running_per_table_key" ON "import_runs" USING btree ("connection_id","target_table") WHERE "import_runs"."outcome" = 'running';