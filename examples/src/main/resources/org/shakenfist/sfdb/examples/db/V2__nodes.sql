-- Nodes' static data (what GetNode answers), as the serialized NodeStaticData message.
CREATE TABLE nodes (
  uuid        VARCHAR(255) NOT NULL PRIMARY KEY,
  static_data BLOB         NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
