using System.Net.Sockets;
using FastBridge.Cli;
using FastBridge.Cli.Commands;
using FastBridge.Control;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Control;

/// <summary>
/// A server that refuses a connection writes its reason and closes before it reads the request: the client must still
/// show that reason, not the "Broken pipe" its own write of the request runs into.
/// </summary>
public sealed class ControlRefusalTests
{
    private static readonly TimeSpan s_timeout = ControlRig.Timeout;

    [Fact]
    public async Task A_client_whose_request_cannot_be_sent_shows_what_the_server_said_before_closing()
    {
        string path = ControlRig.UniqueSocketPath();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            listener.Listen(1);
            using ControlClient client = ControlClient.Connect(path);
            using (Socket accepted = listener.Accept())
            {
                accepted.Send("{\"ok\":false,\"error\":\"too many control connections (2)\"}\n"u8.ToArray());
            } // closed before the request was read: the client's write fails with EPIPE

            string raw = await client.RequestRawAsync("""{"verb":"status"}""").WaitAsync(s_timeout);
            Assert.Equal("too many control connections (2)", ControlRig.AssertError(ControlRig.Parse(raw)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_client_whose_server_closes_without_a_word_still_reports_the_lost_connection()
    {
        string path = ControlRig.UniqueSocketPath();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            listener.Listen(1);
            using ControlClient client = ControlClient.Connect(path);
            listener.Accept().Dispose();
            var e = await Assert.ThrowsAsync<ControlClientException>(() => client.RequestRawAsync("""{"verb":"status"}""").WaitAsync(s_timeout));
            Assert.Equal(ExitCodes.Failed, e.ExitCode);
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Fastbridge_stats_against_a_server_holding_256_connections_prints_the_refusal_and_exits_1()
    {
        using var rig = new ControlRig();
        int max = new ControlServerOptions().MaxConnections;
        var held = new List<Socket>();
        try
        {
            for (int i = 0; i < max; i++)
            {
                held.Add(rig.RawSocket());
            }

            Assert.True(EndToEnd.WaitFor(() => rig.Server.ConnectionCount == max, s_timeout), $"{rig.Server.ConnectionCount} of {max} connections served");
            using (CliProcess refused = CliProcess.Run($"stats --control {rig.SocketPath}", TimeSpan.FromSeconds(60)))
            {
                Assert.Equal(ExitCodes.Failed, refused.ExitCode);
                Assert.Contains($"fastbridge: too many control connections ({max})", refused.Stderr);
                Assert.DoesNotContain("Broken pipe", refused.Stderr);
            }

            held[0].Dispose();
            Assert.True(EndToEnd.WaitFor(() => rig.Server.ConnectionCount == max - 1, s_timeout));
            using CliProcess served = CliProcess.Run($"stats --json --control {rig.SocketPath}", TimeSpan.FromSeconds(60));
            Assert.Equal(ExitCodes.Ok, served.ExitCode);
            ControlRig.AssertOk(ControlRig.Parse(served.Stdout.Trim()));
            rig.AssertForwarding();
        }
        finally
        {
            foreach (Socket socket in held)
            {
                socket.Dispose();
            }
        }
    }
}
