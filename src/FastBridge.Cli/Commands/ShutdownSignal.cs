using System.Runtime.InteropServices;

namespace FastBridge.Cli.Commands;

/// <summary>SIGINT and SIGTERM turned into a cancellation, so commands stop cleanly and release what they created.</summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    public ShutdownSignal()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    public CancellationToken Token => _cts.Token;

    public string? Received { get; private set; }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // we exit by ourselves, after cleaning up
        Received ??= context.Signal.ToString();
        _cts.Cancel();
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _cts.Dispose();
    }
}
