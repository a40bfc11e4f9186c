CREATE TABLE "workspace_schema_status" (
	"connection_id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"status" varchar(32) NOT NULL,
	"current_version" integer,
	"latest_version" integer NOT NULL,
	"pending" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"problems" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"last_error" jsonb,
	"last_run" jsonb,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspace_schema_status_status_check" CHECK ("workspace_schema_status"."status" in ('uninitialised', 'needs_migration', 'current', 'drifted', 'unknown'))
);
--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "auto_migrate" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "workspace_schema_status" ADD CONSTRAINT "workspace_schema_status_connection_id_fkey" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_schema_status" ADD CONSTRAINT "workspace_schema_status_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "workspace_schema_status_workspace_id_idx" ON "workspace_schema_status" USING btree ("workspace_id");