package org.shakenfist.sfdb.client.internal.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

class NettyTransportTest {
  /** Stands in for the socket end of the pipeline once the peer reset the connection: Netty's failure. */
  private static final class PeerGone extends ChannelOutboundHandlerAdapter {
    volatile boolean gone;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (gone) {
        promise.setFailure(new ClosedChannelException());
      } else {
        ctx.write(msg, promise);
      }
    }
  }

  @Test
  void aWriteOnAClosedConnectionFailsAsAnIoExceptionWhichGrpcReportsAsUnavailable() {
    PeerGone peer = new PeerGone();
    EmbeddedChannel ch = new EmbeddedChannel(peer, NettyTransport.DroppedConnectionWrites.INSTANCE);
    assertTrue(ch.writeOutbound("before"), "writes pass through while connected");
    assertEquals("before", ch.readOutbound());
    peer.gone = true;
    ChannelFuture write = ch.writeAndFlush("after");
    assertTrue(write.isDone() && !write.isSuccess());
    // grpc-netty maps ClosedChannelException to UNKNOWN, any other IOException to UNAVAILABLE
    assertTrue(!(write.cause() instanceof ClosedChannelException), String.valueOf(write.cause()));
    assertInstanceOf(IOException.class, write.cause());
    assertInstanceOf(ClosedChannelException.class, write.cause().getCause(), "the original is kept as the cause");
  }

  @Test
  void otherFailuresAreLeftAlone() {
    IllegalStateException other = new IllegalStateException("x");
    assertEquals(other, NettyTransport.DroppedConnectionWrites.asDroppedConnection(other));
  }
}
