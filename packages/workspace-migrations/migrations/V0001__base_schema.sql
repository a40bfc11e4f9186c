-- Workspace base schema: what the studio keeps in every workspace database it manages.
-- studio_workspace_info: key/value facts about the database (who manages it, settings the studio reads).
-- studio_procedure_deployments: every stored procedure the SQL editor publishes here, with the
-- checksum of the deployed text, so "published" can be compared with what the server runs.
-- +up
CREATE TABLE dbo.studio_workspace_info (
  info_key NVARCHAR(128) NOT NULL CONSTRAINT PK_studio_workspace_info PRIMARY KEY,
  info_value NVARCHAR(4000) NULL,
  updated_at DATETIME2(3) NOT NULL CONSTRAINT DF_studio_workspace_info_updated_at DEFAULT SYSUTCDATETIME()
);
GO
INSERT INTO dbo.studio_workspace_info (info_key, info_value)
VALUES (N'managed_by', N'@studio/workspace-migrations'), (N'created_by_version', N'1');
GO
CREATE TABLE dbo.studio_procedure_deployments (
  deployment_id INT IDENTITY(1,1) NOT NULL CONSTRAINT PK_studio_procedure_deployments PRIMARY KEY,
  procedure_name NVARCHAR(256) NOT NULL,
  sql_checksum CHAR(64) NOT NULL,
  studio_procedure_id NVARCHAR(64) NULL,
  deployed_by NVARCHAR(256) NOT NULL,
  deployed_at DATETIME2(3) NOT NULL CONSTRAINT DF_studio_procedure_deployments_deployed_at DEFAULT SYSUTCDATETIME()
);
CREATE INDEX IX_studio_procedure_deployments_name ON dbo.studio_procedure_deployments (procedure_name, deployed_at);
-- +down
DROP TABLE dbo.studio_procedure_deployments;
DROP TABLE dbo.studio_workspace_info;
