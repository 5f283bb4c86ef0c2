package org.shakenfist.sfdb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.testsupport.LogCapture;

class CallerWarningTest {
  @Test
  void aCallerTheGatewayDoesNotCountByNameIsWarnedOnceAtStartup() {
    String unlisted = "sf-test-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> warnings;
    try (LogCapture log = LogCapture.of(DatabaseChannels.class, Level.WARNING)) {
      for (int i = 0; i < 3; i++) {
        DatabaseChannels.fromConfig(DatabaseChannelConfig.builder().hosts("127.0.0.1").callerDaemon(unlisted).build())
            .close();
        DatabaseChannels.fromConfig(DatabaseChannelConfig.builder().hosts("127.0.0.1").callerDaemon("net").build())
            .close();
      }
      warnings = log.messages();
    }
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("\"" + unlisted + "\"") && warnings.get(0).contains("caller_daemon=\"unknown\""),
        warnings.get(0));
    assertEquals("unknown", CallerMetadata.countedAs(unlisted));
    assertEquals("net", CallerMetadata.countedAs("net"));
  }
}
