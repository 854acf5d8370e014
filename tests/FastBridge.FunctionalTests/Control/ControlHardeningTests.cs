using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FastBridge.Cli.Commands;
using FastBridge.Control;
using FastBridge.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace FastBridge.Tests.Control;

/// <summary>
/// Clients that misbehave: oversized, malformed or unknown requests, crowds, silence, hang-ups, floods. Each gets an
/// error (or is closed) and neither other clients nor the dataplane notice.
/// </summary>
public sealed class ControlHardeningTests
{
    private static readonly TimeSpan s_timeout = ControlRig.Timeout;

    [Fact]
    public async Task Bad_requests_get_errors_and_the_same_connection_keeps_working()
    {
        using var rig = new ControlRig();
        using ControlClient client = rig.Connect();
        string huge = $$"""{"verb":"status","name":"{{new string('x', 100 * 1024)}}"}""";
        (string Request, string Error)[] cases =
        [
            (huge, "longer than 65536 bytes"),
            ("{not json", "invalid request"),
            ("""{"verb":"frobnicate"}""", "unknown verb 'frobnicate'"),
            ("""{"name":"p0"}""", "missing \"verb\""),
            ("""{"verb":"fdb-show","vlan":"seven"}""", "invalid request"),
            ("""{"verb":"stats","colour":"blue"}""", "invalid request"),
            ("null", "expected a JSON object"),
            ("[1,2]", "invalid request"),
            ("""{"verb":"status"} trailing""", "invalid request"),
        ];
        foreach ((string request, string error) in cases)
        {
            JsonElement response = ControlRig.Parse(await client.RequestRawAsync(request).WaitAsync(s_timeout));
            Assert.Contains(error, ControlRig.AssertError(response));
            ControlRig.AssertOk(ControlRig.Parse(await client.RequestRawAsync("""{"verb":"status"}""").WaitAsync(s_timeout)));
        }

        rig.AssertForwarding();
    }

    [Fact]
    public void An_oversized_request_without_a_newline_is_refused_once_and_skipped_to_its_end()
    {
        using var rig = new ControlRig();
        using Socket socket = rig.RawSocket();
        byte[] chunk = Encoding.ASCII.GetBytes(new string('a', 16 * 1024));
        for (int i = 0; i < 8; i++)
        {
            socket.Send(chunk); // 128 KiB and still no newline
        }

        Assert.Contains("longer than", ControlRig.AssertError(ControlRig.Parse(ControlRig.ReadLine(socket, s_timeout)!)));
        socket.Send(chunk);
        socket.Send("\n{\"verb\":\"status\"}\n"u8.ToArray());
        ControlRig.AssertOk(ControlRig.Parse(ControlRig.ReadLine(socket, s_timeout)!)); // the oversized tail got no second error
        rig.AssertForwarding();
    }

    [Fact]
    public async Task Fifty_clients_at_once_are_all_served()
    {
        using var rig = new ControlRig();
        var clients = new Task[50];
        for (int c = 0; c < clients.Length; c++)
        {
            int index = c;
            clients[c] = Task.Run(async () =>
            {
                using ControlClient client = rig.Connect();
                for (int i = 0; i < 10; i++)
                {
                    string verb = ((index + i) % 3) switch { 0 => "stats", 1 => "fdb-show", _ => "port-list" };
                    ControlRig.AssertOk(ControlRig.Parse(await client.RequestRawAsync($$"""{"verb":"{{verb}}"}""").WaitAsync(s_timeout)));
                }
            });
        }

        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60));
        rig.AssertForwarding();
        Assert.True(EndToEnd.WaitFor(() => rig.Server.ConnectionCount == 0, s_timeout), $"{rig.Server.ConnectionCount} connections linger");
    }

    [Fact]
    public void A_silent_client_blocks_nobody_and_is_closed_after_the_idle_timeout()
    {
        using var rig = new ControlRig(new ControlServerOptions { IdleTimeout = TimeSpan.FromSeconds(1) });
        using Socket silent = rig.RawSocket();
        Assert.True(EndToEnd.WaitFor(() => rig.Server.ConnectionCount == 1, s_timeout));
        ControlRig.AssertOk(rig.Request("""{"verb":"status"}"""));
        rig.AssertForwarding();

        Assert.Null(ControlRig.ReadLine(silent, s_timeout)); // end of stream: the server hung up
        Assert.True(EndToEnd.WaitFor(() => rig.Server.ConnectionCount == 0, s_timeout));
    }

    [Theory]
    [InlineData("\n")] // blank lines: no response, no activity
    [InlineData(" ")] // a request that never completes
    public void A_client_that_only_sends_blank_lines_or_an_unfinished_line_is_closed_after_the_idle_timeout(string trickle)
    {
        using var rig = new ControlRig(new ControlServerOptions { IdleTimeout = TimeSpan.FromSeconds(1) });
        using Socket socket = rig.RawSocket();
        socket.Send("{\"verb\":\"status\"}\n"u8.ToArray());
        ControlRig.AssertOk(ControlRig.Parse(ControlRig.ReadLine(socket, s_timeout)!));

        // One byte every 50 ms, far more often than the 1 s timeout, for at most 15 s (before, each one restarted the
        // idle clock and the connection was never closed).
        byte[] one = [(byte)trickle[0]];
        bool closed = EndToEnd.WaitFor(() =>
        {
            try
            {
                socket.Send(one);
            }
            catch (SocketException)
            {
                return true; // the server hung up (EPIPE / reset)
            }

            return socket.Poll(50_000, SelectMode.SelectRead) && socket.Available == 0; // readable and empty: end of stream
        }, TimeSpan.FromSeconds(15));
        Assert.True(closed, $"a connection sending only '{trickle.ReplaceLineEndings("\\n")}' was kept open for 15 s with a 1 s idle timeout");
        Assert.True(EndToEnd.WaitFor(() => rig.Server.ConnectionCount == 0, s_timeout));
        rig.AssertForwarding();
    }

    [Fact]
    public void Complete_requests_keep_a_connection_open_and_the_idle_clock_runs_from_the_last_one()
    {
        var clock = new FakeTimeProvider();
        using var rig = new ControlRig(new ControlServerOptions { IdleTimeout = TimeSpan.FromSeconds(60), Time = clock });
        using Socket socket = rig.RawSocket();
        for (int i = 0; i < 4; i++)
        {
            socket.Send("{\"verb\":\"status\"}\n"u8.ToArray());
            ControlRig.AssertOk(ControlRig.Parse(ControlRig.ReadLine(socket, s_timeout)!)); // answered: the clock restarted
            clock.Advance(TimeSpan.FromSeconds(50)); // 200 s connected in all, never 60 s without a request
        }

        socket.Send("\n\n \n{\"verb\":"u8.ToArray()); // blank lines and half a request
        clock.Advance(TimeSpan.FromSeconds(10)); // 60 s since the last complete request
        Assert.Null(ControlRig.ReadLine(socket, s_timeout)); // end of stream: the server hung up
        Assert.True(EndToEnd.WaitFor(() => rig.Server.ConnectionCount == 0, s_timeout));
    }

    [Fact]
    public void A_client_that_hangs_up_mid_request_leaves_nothing_behind()
    {
        using var rig = new ControlRig();
        // The rig's traffic learns its two stations in the background; wait for them, so the count below can only
        // change if a cut-off request ran.
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.Count == 2, s_timeout), "the rig's stations were not learned");
        for (int i = 0; i < 20; i++)
        {
            using Socket socket = rig.RawSocket();
            socket.Send("""{"verb":"fdb-add","mac":"02:"""u8.ToArray());
            if (i % 2 == 0)
            {
                socket.LingerState = new LingerOption(true, 0); // reset instead of a clean close
            }
        }

        Assert.True(EndToEnd.WaitFor(() => rig.Server.ConnectionCount == 0, s_timeout), $"{rig.Server.ConnectionCount} connections linger");
        Assert.Equal(2, rig.Bridge.MacTable.Count); // the cut-off request was never run
        ControlRig.AssertOk(rig.Request("""{"verb":"status"}"""));
        rig.AssertForwarding();
    }

    [Fact]
    public void A_client_that_floods_requests_is_rate_limited_with_error_responses_not_disconnected()
    {
        using var rig = new ControlRig(new ControlServerOptions { RequestsPerSecond = 20 });
        using Socket socket = rig.RawSocket();
        var burst = new StringBuilder();
        for (int i = 0; i < 60; i++)
        {
            burst.Append("""{"verb":"status"}""").Append('\n');
        }

        socket.Send(Encoding.ASCII.GetBytes(burst.ToString()));
        int ok = 0;
        int limited = 0;
        for (int i = 0; i < 60; i++)
        {
            JsonElement response = ControlRig.Parse(ControlRig.ReadLine(socket, s_timeout) ?? throw new Xunit.Sdk.XunitException($"response {i} missing"));
            if (response.GetProperty("ok").GetBoolean())
            {
                ok++;
            }
            else
            {
                Assert.Contains("rate limit", response.GetProperty("error").GetString());
                limited++;
            }
        }

        Assert.InRange(ok, 20, 40);
        Assert.True(limited >= 20, $"only {limited} of 60 were limited");

        // the bucket refills: the same connection is served again
        Assert.True(EndToEnd.WaitFor(() =>
        {
            socket.Send("{\"verb\":\"status\"}\n"u8.ToArray());
            return ControlRig.Parse(ControlRig.ReadLine(socket, s_timeout)!).GetProperty("ok").GetBoolean();
        }, s_timeout));
        rig.AssertForwarding();
    }

    [Fact]
    public void Only_root_and_the_owner_may_change_state()
    {
        Assert.True(ControlServer.MayChangeState(0, 1000));
        Assert.True(ControlServer.MayChangeState(1000, 1000));
        Assert.False(ControlServer.MayChangeState(65534, 1000));
        Assert.False(ControlServer.MayChangeState(65534, 0));
    }
}
