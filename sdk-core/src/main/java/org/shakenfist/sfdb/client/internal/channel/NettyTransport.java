package org.shakenfist.sfdb.client.internal.channel;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * The SDK's Netty transport: grpc-netty as it is, plus one handler at the head of every connection's pipeline
 * that makes a dropped connection reach grpc as what it is.
 *
 * <p>Why: grpc-netty ({@code io.grpc.netty.Utils.statusFromThrowable}, grpc-java #10120) turns every
 * {@link ClosedChannelException} into {@code UNKNOWN: channel closed}. Netty fails a write with that exception
 * when the peer reset or closed the connection before the write reached the socket, which is what a gateway
 * killed under load does to the calls that were starting on it. grpc's retry layer sits above the transport and
 * sees only the code: UNKNOWN is not retried, and the caller gets UNKNOWN for what is a lost connection.
 * The handler re-fails such writes with a plain {@link IOException} (cause kept), which grpc-netty maps to
 * {@code UNAVAILABLE: io exception}: retried when the method has retries on, and "try again" when not.
 *
 * <p>Plugging a handler in needs grpc's public {@code channelFactory}, which grpc only accepts together with an
 * event-loop group: SDK channels share one group of daemon threads (2 per core, as grpc's default), created
 * on first use and kept for the life of the process.
 */
public final class NettyTransport {
  private NettyTransport() {}

  /** Applies the SDK's transport to a Netty channel builder. */
  public static NettyChannelBuilder configure(NettyChannelBuilder builder) {
    return builder.eventLoopGroup(Loops.GROUP).channelFactory(SfdbSocketChannel::new);
  }

  /** Lazy holder: the threads start with the first SDK channel, not with the class. */
  private static final class Loops {
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(0,
        new ThreadFactoryBuilder().setNameFormat("sfdb-netty-%d").setDaemon(true).build(), NioIoHandler.newFactory());
  }

  /** A NIO socket channel whose pipeline starts with {@link DroppedConnectionWrites}. */
  static final class SfdbSocketChannel extends NioSocketChannel {
    @Override
    protected DefaultChannelPipeline newChannelPipeline() {
      DefaultChannelPipeline pipeline = super.newChannelPipeline();
      pipeline.addFirst("sfdb-dropped-connection-writes", DroppedConnectionWrites.INSTANCE);
      return pipeline;
    }
  }

  /** Re-fails writes that failed with {@link ClosedChannelException} with an {@link IOException}. */
  @ChannelHandler.Sharable
  static final class DroppedConnectionWrites extends ChannelOutboundHandlerAdapter {
    static final DroppedConnectionWrites INSTANCE = new DroppedConnectionWrites();

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (promise.isVoid()) {
        ctx.write(msg, promise);
        return;
      }
      ChannelPromise inner = ctx.newPromise();
      inner.addListener(f -> {
        if (f.isSuccess()) {
          promise.trySuccess();
        } else {
          promise.tryFailure(asDroppedConnection(f.cause()));
        }
      });
      ctx.write(msg, inner);
    }

    static Throwable asDroppedConnection(Throwable cause) {
      return cause instanceof ClosedChannelException
          ? new IOException("connection to the gateway closed before this write reached it", cause) : cause;
    }
  }
}
