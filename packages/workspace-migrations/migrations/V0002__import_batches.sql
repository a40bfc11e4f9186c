-- CSV imports into this database (MISSION F13): one row per import run, so a half-finished
-- import can be found and its rows cleaned up.
-- +up
CREATE TABLE dbo.studio_import_batches (
  import_id UNIQUEIDENTIFIER NOT NULL CONSTRAINT DF_studio_import_batches_import_id DEFAULT NEWID()
    CONSTRAINT PK_studio_import_batches PRIMARY KEY,
  project_id NVARCHAR(64) NULL,
  target_table NVARCHAR(256) NOT NULL,
  file_name NVARCHAR(260) NOT NULL,
  row_count INT NOT NULL CONSTRAINT DF_studio_import_batches_row_count DEFAULT 0,
  status NVARCHAR(16) NOT NULL CONSTRAINT DF_studio_import_batches_status DEFAULT N'running',
  error_message NVARCHAR(2048) NULL,
  started_at DATETIME2(3) NOT NULL CONSTRAINT DF_studio_import_batches_started_at DEFAULT SYSUTCDATETIME(),
  finished_at DATETIME2(3) NULL
);
CREATE INDEX IX_studio_import_batches_started_at ON dbo.studio_import_batches (started_at);
-- +down
DROP TABLE dbo.studio_import_batches;
