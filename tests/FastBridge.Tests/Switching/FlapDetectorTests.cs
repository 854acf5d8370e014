using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Switching.MacWords;
using static FastBridge.Tests.Infrastructure.Stations;

namespace FastBridge.Tests.Switching;

/// <summary>The flap detector on its own: moves recorded at explicit seconds, no table and no clock.</summary>
public class FlapDetectorTests
{
    private const ushort Vlan = 7;
    private readonly FlapDetector _flaps = new();
    private readonly List<FlapEvent> _events = [];

    private static ulong Key(int station, ushort vlan = Vlan) => MakeKey(Mac(station), vlan);

    [Fact]
    public void The_third_move_within_the_window_is_a_flap_reported_once_with_its_ports_and_moves()
    {
        Assert.False(_flaps.RecordMove(Key(1), 1, 2, now: 100));
        Assert.False(_flaps.RecordMove(Key(1), 2, 1, now: 101));
        Assert.True(_flaps.RecordMove(Key(1), 1, 2, now: 104));

        Assert.Equal(1, _flaps.Drain(_events));
        FlapEvent flap = Assert.Single(_events);
        Assert.Equal(Address(1), flap.Mac);
        Assert.Equal(Vlan, flap.Vlan);
        Assert.Equal(1, flap.FromPort);
        Assert.Equal(2, flap.ToPort);
        Assert.Equal(3, flap.Moves);

        _events.Clear();
        Assert.Equal(0, _flaps.Drain(_events)); // once per flap
        Assert.Empty(_events);
    }

    [Fact]
    public void Moves_spread_wider_than_the_window_never_flap()
    {
        for (uint i = 0; i < 20; i++)
        {
            Assert.False(_flaps.RecordMove(Key(1), 1 + (int)(i % 2), 2 - (int)(i % 2), now: i * FlapDetector.DefaultWindowSeconds));
        }

        Assert.Equal(0, _flaps.Drain(_events));
    }

    [Fact]
    public void A_window_that_wraps_the_22_bit_seconds_still_counts()
    {
        const uint Start = (1u << 22) - 2;
        Assert.False(_flaps.RecordMove(Key(1), 1, 2, now: Start));
        Assert.False(_flaps.RecordMove(Key(1), 2, 1, now: Start + 1));
        Assert.True(_flaps.RecordMove(Key(1), 1, 2, now: Start + 3));
    }

    [Fact]
    public void The_threshold_and_window_are_validated_and_take_effect()
    {
        Assert.Equal(FlapDetector.DefaultMoves, _flaps.Moves);
        Assert.Equal(FlapDetector.DefaultWindowSeconds, _flaps.WindowSeconds);
        _flaps.Moves = 2;
        _flaps.WindowSeconds = 60;
        Assert.False(_flaps.RecordMove(Key(1), 1, 2, now: 0));
        Assert.True(_flaps.RecordMove(Key(1), 2, 1, now: 59));

        Assert.Throws<ArgumentOutOfRangeException>(() => _flaps.Moves = 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => _flaps.Moves = 256);
        Assert.Throws<ArgumentOutOfRangeException>(() => _flaps.WindowSeconds = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => _flaps.WindowSeconds = FlapDetector.MaxWindowSeconds + 1);
    }

    [Fact]
    public void Many_flappers_are_bounded_by_the_records_and_reported_at_most_once_each()
    {
        for (int s = 0; s < 5000; s++)
        {
            for (int m = 0; m < 3; m++)
            {
                _flaps.RecordMove(Key(s), 1 + (m % 2), 2 - (m % 2), now: 0);
            }
        }

        int reported = _flaps.Drain(_events);
        Assert.InRange(reported, 1, 1024);
        Assert.Equal(reported, _events.Select(e => e.Mac).Distinct().Count());
    }

    [Fact]
    public void Racing_recorders_and_a_drainer_report_a_flapper()
    {
        int flaps = 0;
        Action Recorder(int from, int to) => () =>
        {
            for (int i = 0; i < 100_000; i++)
            {
                if (_flaps.RecordMove(Key(1), from, to, now: 0))
                {
                    Interlocked.Increment(ref flaps);
                }
            }
        };

        var drained = new List<FlapEvent>();
        Concurrently.Run(Recorder(1, 2), Recorder(2, 1), () =>
        {
            for (int i = 0; i < 1000; i++)
            {
                _flaps.Drain(drained);
            }
        });

        _flaps.Drain(drained);
        Assert.True(Volatile.Read(ref flaps) > 0);
        Assert.NotEmpty(drained);
        Assert.All(drained, e => Assert.Equal((Address(1), Vlan), (e.Mac, e.Vlan)));
        Assert.All(drained, e => Assert.True(e.Moves >= 1));
    }
}
