package org.shakenfist.sfdb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class CallerWarningTest {
  @Test
  void aCallerTheGatewayDoesNotCountByNameIsWarnedOnceAtStartup() {
    List<String> warnings = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
          warnings.add(r.getMessage());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger logger = Logger.getLogger(DatabaseChannels.class.getName());
    logger.addHandler(capture);
    String unlisted = "sf-test-" + UUID.randomUUID().toString().substring(0, 8);
    try {
      for (int i = 0; i < 3; i++) {
        DatabaseChannels.fromConfig(DatabaseChannelConfig.builder().hosts("127.0.0.1").callerDaemon(unlisted).build())
            .close();
        DatabaseChannels.fromConfig(DatabaseChannelConfig.builder().hosts("127.0.0.1").callerDaemon("net").build())
            .close();
      }
    } finally {
      logger.removeHandler(capture);
    }
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("\"" + unlisted + "\"") && warnings.get(0).contains("caller_daemon=\"unknown\""),
        warnings.get(0));
    assertEquals("unknown", CallerMetadata.countedAs(unlisted));
    assertEquals("net", CallerMetadata.countedAs("net"));
  }
}
