using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// FastBridge with two vhost-user ports in both roles: <c>vu0</c> listens (<c>--vhost-user</c>, testpmd connects) and
/// <c>vu1</c> connects (<c>--vhost-user-client</c>, testpmd's virtio-user listens with server=1). One dpdk-testpmd
/// drives both in io mode, so what enters port 0 of testpmd leaves by port 1 and the other way round. Started once
/// per test class.
/// </summary>
public sealed class VirtioUserPairFixture : IDisposable
{
    public const string Mac0 = "02:00:00:75:00:01";
    public const string Mac1 = "02:00:00:75:00:02";

    private SocketFolder? _folder;
    private VhostSwitch? _switch;
    private Testpmd? _testpmd;

    public VirtioUserPairFixture() => Start = RigStart.Attempt(StartRig);

    internal RigStart Start { get; }

    internal VhostSwitch Switch => _switch ?? throw new InvalidOperationException("not started");

    internal Testpmd Testpmd => _testpmd ?? throw new InvalidOperationException("not started");

    private void StartRig()
    {
        _folder = new SocketFolder();
        string s0 = _folder.Path("vu0"), s1 = _folder.Path("vu1");

        // FastBridge first: vu0's socket must exist when testpmd's client port probes (a virtio-user client does not
        // retry), while FastBridge's client role retries until testpmd's server port listens.
        _switch = new VhostSwitch($"--vhost-user vu0={s0} --vhost-user-client vu1={s1}");
        Assert.True(EndToEnd.WaitFor(() => File.Exists(s0), VhostSwitch.Timeout), _switch.Describe($"no socket {s0}"));
        _testpmd = Testpmd.Run(new TestpmdOptions
        {
            Vdevs = [Testpmd.VirtioUser(0, s0, Mac0), Testpmd.VirtioUser(1, s1, Mac1, server: true)],
            EthPeers = [Mac1, Mac0],
        });
    }

    public void Dispose()
    {
        _testpmd?.Dispose();
        _switch?.Dispose();
        _folder?.Dispose();
    }
}
