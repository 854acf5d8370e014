using FastBridge.Interop;
using FastBridge.Ports;

namespace FastBridge.Tests.Ports;

/// <summary>TapPort's argument checks and error messages; no privilege needed.</summary>
public sealed class TapPortErrorTests
{
    [Theory]
    [InlineData("")]
    [InlineData("abcdefghijklmnop")] // 16 characters
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("tab\there")]
    [InlineData("a:b")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("caf\u00e9")]
    public void Open_rejects_invalid_names(string name) =>
        Assert.Throws<ArgumentException>(() => TapPort.Open(name));

    [Theory]
    [InlineData("t")]
    [InlineData("abcdefghijklmno")] // 15 characters
    [InlineData("tap-0.vlan_1")]
    public void Valid_names_pass_validation(string name) => TapPort.ValidateInterfaceName(name);

    [Fact]
    public void Permission_denied_names_the_capability()
    {
        Assert.Equal(
            "cannot create TAP device 'x': permission denied (needs CAP_NET_ADMIN; run as root or grant the capability)",
            TapPort.OpenErrorMessage("x", Errno.EPERM, deviceExists: false));
        Assert.StartsWith("cannot attach to TAP device 'x': permission denied", TapPort.OpenErrorMessage("x", Errno.EACCES, deviceExists: true), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_device_file_names_the_driver() =>
        Assert.Equal("/dev/net/tun does not exist (TUN/TAP driver not available)", TapPort.DeviceFileErrorMessage(Errno.ENOENT));

    [Fact]
    public void Busy_and_not_a_tap_are_told_apart()
    {
        Assert.Contains("in use", TapPort.OpenErrorMessage("x", Errno.EBUSY, deviceExists: true), StringComparison.Ordinal);
        Assert.Contains("exists but is not a TAP device", TapPort.OpenErrorMessage("x", Errno.EINVAL, deviceExists: true), StringComparison.Ordinal);
    }

    [Fact]
    public void Other_errors_carry_strerror_and_the_number() =>
        Assert.Contains("(errno 12)", TapPort.OpenErrorMessage("x", Errno.ENOMEM, deviceExists: false), StringComparison.Ordinal);

    [Fact]
    public void Adopt_messages_say_what_the_fd_is()
    {
        Assert.Contains("not an open file descriptor", TapPort.AdoptErrorMessage(99, Errno.EBADF), StringComparison.Ordinal);
        Assert.Contains("TUNSETIFF first", TapPort.AdoptErrorMessage(99, Errno.EBADFD), StringComparison.Ordinal);
        Assert.Contains("not a TUN/TAP file descriptor", TapPort.AdoptErrorMessage(99, Errno.ENOTTY), StringComparison.Ordinal);
    }

    [Fact]
    public void Adopt_rejects_a_negative_fd() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TapPort.Adopt(-1));

    [Fact]
    public void TapException_is_an_IOException_with_errno()
    {
        IOException error = new TapException("m", Errno.EPERM, "x");
        Assert.Equal(Errno.EPERM, ((TapException)error).Errno);
        Assert.Equal("x", ((TapException)error).DeviceName);
    }
}
