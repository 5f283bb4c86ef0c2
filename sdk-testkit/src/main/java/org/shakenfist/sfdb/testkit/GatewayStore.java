package org.shakenfist.sfdb.testkit;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.shakenfist.sfdb.proto.NodeStaticData;
import org.shakenfist.sfdb.proto.ObjectType;

/**
 * The data a fake gateway serves: {@link SharedStore} in memory (the default, one per tier), or any other, such
 * as the examples' MariaDB-backed store. A store method that cannot reach its data throws
 * {@link Unavailable}; the gateway then answers as the real one does: a read with an OK, empty reply, a write
 * with {@code StatusReply{success=false, error}}.
 *
 * <pre>{@code
 * DatabaseTier tier = DatabaseTier.builder().instances(2).store(myStore).start();
 * }</pre>
 */
public interface GatewayStore {
  /** Stored state of one object. */
  record ObjectState(String stateValue, double updateTime, String message) {}

  /** The store cannot reach its data (for example, the database is down). */
  final class Unavailable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  void putClusterConfig(String key, String valueJson);

  /** Cluster config sorted by key. */
  Map<String, String> clusterConfig();

  /**
   * Stores a state under the object type's wire number: two types never share a key, even one this build's
   * enum does not know (a request carrying it parses as {@code UNRECOGNIZED} with its number kept).
   */
  void setObjectState(int objectType, String uuid, ObjectState state);

  /** The state stored under the object type's wire number. */
  Optional<ObjectState> objectState(int objectType, String uuid);

  default void setObjectState(ObjectType type, String uuid, ObjectState state) {
    setObjectState(type.getNumber(), uuid, state);
  }

  default Optional<ObjectState> objectState(ObjectType type, String uuid) {
    return objectState(type.getNumber(), uuid);
  }

  /** Adds or replaces a node's static data (what {@code GetNode} answers). */
  void putNode(NodeStaticData node);

  Optional<NodeStaticData> node(String uuid);

  void addNamespace(String namespace);

  /** Namespace names, sorted (what {@code GetAllNamespaceNames} answers). */
  List<String> namespaces();
}
