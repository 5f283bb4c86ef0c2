-- The example gateway's tables (GatewayServer --jdbc): cluster config, object states, namespaces.
-- Applied once by `GatewayServer migrate`, never at a gateway's start.
CREATE TABLE cluster_config (
  key_name   VARCHAR(255) NOT NULL PRIMARY KEY,
  value_json TEXT         NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- keyed by the ObjectType's wire number, so no two enum values can share a row
CREATE TABLE object_states (
  object_type INT          NOT NULL,
  object_uuid VARCHAR(255) NOT NULL,
  state_value VARCHAR(255) NOT NULL,
  update_time DOUBLE       NOT NULL,
  message     TEXT         NOT NULL,
  PRIMARY KEY (object_type, object_uuid)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE namespaces (
  name VARCHAR(255) NOT NULL PRIMARY KEY
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

INSERT INTO cluster_config (key_name, value_json) VALUES ('cluster_name', '"sfdb-example"'),
  ('database_gateway_port', '13005');
INSERT INTO namespaces (name) VALUES ('system');
