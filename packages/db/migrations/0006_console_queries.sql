CREATE TYPE "public"."console_access" AS ENUM('off', 'read-only', 'read-write');--> statement-breakpoint
CREATE TYPE "public"."console_run_outcome" AS ENUM('success', 'error', 'cancelled', 'timeout');--> statement-breakpoint
CREATE TABLE "console_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"sql" text NOT NULL,
	"outcome" "console_run_outcome" NOT NULL,
	"duration_ms" integer NOT NULL,
	"row_count" integer NOT NULL,
	"error_code" varchar(64),
	"ran_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "console_history_duration_check" CHECK ("console_history"."duration_ms" >= 0)
);
--> statement-breakpoint
CREATE TABLE "saved_queries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"connection_id" uuid,
	"name" varchar(200) NOT NULL,
	"description" text,
	"sql" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "saved_queries_workspace_name_key" UNIQUE("workspace_id","name")
);
--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "console_access" "console_access" DEFAULT 'read-only' NOT NULL;--> statement-breakpoint
ALTER TABLE "console_history" ADD CONSTRAINT "console_history_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_history" ADD CONSTRAINT "console_history_connection_id_fkey" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_history" ADD CONSTRAINT "console_history_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "saved_queries" ADD CONSTRAINT "saved_queries_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "saved_queries" ADD CONSTRAINT "saved_queries_connection_id_fkey" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "saved_queries" ADD CONSTRAINT "saved_queries_created_by_fkey" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_history_user_connection_ran_at_idx" ON "console_history" USING btree ("user_id","connection_id","ran_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "console_history_ran_at_idx" ON "console_history" USING btree ("ran_at");--> statement-breakpoint
CREATE INDEX "saved_queries_workspace_id_updated_at_idx" ON "saved_queries" USING btree ("workspace_id","updated_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "saved_queries_connection_id_idx" ON "saved_queries" USING btree ("connection_id");