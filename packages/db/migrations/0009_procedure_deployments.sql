CREATE TABLE "procedure_deployments" (
	"procedure_id" uuid NOT NULL,
	"environment_id" uuid NOT NULL,
	"sql_hash" char(64) NOT NULL,
	"deployed_by" uuid,
	"deployed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "procedure_deployments_pkey" PRIMARY KEY("procedure_id","environment_id")
);
--> statement-breakpoint
ALTER TABLE "procedure_deployments" ADD CONSTRAINT "procedure_deployments_procedure_id_fkey" FOREIGN KEY ("procedure_id") REFERENCES "public"."stored_procedures"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "procedure_deployments" ADD CONSTRAINT "procedure_deployments_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "procedure_deployments" ADD CONSTRAINT "procedure_deployments_deployed_by_fkey" FOREIGN KEY ("deployed_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "procedure_deployments_environment_id_idx" ON "procedure_deployments" USING btree ("environment_id");