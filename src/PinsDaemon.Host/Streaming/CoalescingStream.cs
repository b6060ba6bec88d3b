using System.Buffers;
using Microsoft.AspNetCore.Http.Features;

namespace PinsDaemon.Host.Streaming;

/// <summary>
/// The upgraded connection under a log WebSocket. While the send loop holds it, writes gather
/// in a buffer and go to the socket together when it lets go: a batch of line frames costs one
/// write and one flush instead of one each per line, which was most of the server's cost per
/// line (bench/README.md). The wire format does not change: still one WebSocket message per line.
/// Outside a batch, writes (pings, pongs, the close frame) go straight through.
/// </summary>
internal sealed class CoalescingStream(Stream inner) : Stream
{
    /// <summary>Gathered bytes are written out when they reach 64 KiB, even mid-batch.</summary>
    private const int MaxGathered = 64 * 1024;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private byte[]? _buffer;
    private int _length;
    private bool _holding;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Start gathering writes (the send loop, before a batch).</summary>
    public async ValueTask HoldAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        _holding = true;
        _gate.Release();
    }

    /// <summary>Write what was gathered and stop gathering (the send loop, after a batch).</summary>
    public async ValueTask ReleaseAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _holding = false;
            await WriteGatheredAsync(cancellationToken);
            await inner.FlushAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_holding || buffer.Length > MaxGathered)
            {
                await WriteGatheredAsync(cancellationToken);
                await inner.WriteAsync(buffer, cancellationToken);
                return;
            }

            if (_length + buffer.Length > MaxGathered)
            {
                await WriteGatheredAsync(cancellationToken);
            }

            _buffer ??= ArrayPool<byte>.Shared.Rent(MaxGathered);
            buffer.Span.CopyTo(_buffer.AsSpan(_length));
            _length += buffer.Length;
        }
        finally
        {
            _gate.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Inside a batch the flush waits for the batch's end.
            if (!_holding)
            {
                await WriteGatheredAsync(cancellationToken);
                await inner.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("asynchronous use only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("asynchronous use only");

    public override void Flush() => throw new NotSupportedException("asynchronous use only");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }

        base.Dispose(disposing);
    }

    private async ValueTask WriteGatheredAsync(CancellationToken cancellationToken)
    {
        if (_length > 0)
        {
            var length = _length;
            _length = 0;
            await inner.WriteAsync(_buffer.AsMemory(0, length), cancellationToken);
        }
    }

    /// <summary>Hands the WebSocket middleware a <see cref="CoalescingStream"/> when it upgrades a log stream.</summary>
    internal sealed class UpgradeFeature(IHttpUpgradeFeature upgrade, HttpContext context) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => upgrade.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync()
        {
            var stream = new CoalescingStream(await upgrade.UpgradeAsync());
            context.Features.Set(stream);
            return stream;
        }
    }
}
