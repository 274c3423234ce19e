"""The adapter over Mesa's private scheduler state (sim/engine/scheduler.py)."""

import math

import mesa

from sim.engine.scheduler import Agenda, make_event_driven, next_event_time


class Clock(mesa.Model):
    def __init__(self):
        super().__init__(rng=1)
        self.log: list = []
        self.horizon = math.inf
        make_event_driven(self, self.ten_minutes)

    def ten_minutes(self):
        self.horizon = self.time + 10
        self.run_until(self.horizon)

    def note(self):
        self.log.append(("event", self.time))


def test_the_default_one_unit_step_is_stopped_and_step_is_the_models():
    m = Clock()
    assert next_event_time(m) == math.inf  # Mesa's step event at t = 1 is gone
    m.step()
    assert m.time == 10 and m.steps == 0


def test_next_event_time_is_the_earliest_queued_event():
    m = Clock()
    m.schedule_event(m.note, at=30.0)
    m.schedule_event(m.note, at=7.5)
    assert next_event_time(m) == 7.5
    m.run_until(8.0)
    assert next_event_time(m) == 30.0


def test_due_items_are_taken_in_time_order_each_at_its_time_between_other_events():
    m = Clock()
    agenda = Agenda(m)
    agenda.add_stream([1.0, 2.0, 2.0, 5.0, 9.0, 12.0], lambda k: m.log.append((k, m.time)))
    m.schedule_event(m.note, at=4.0)
    m.run_until(20.0)
    assert m.log == [(0, 1.0), (1, 2.0), (2, 2.0), ("event", 4.0), (3, 5.0), (4, 9.0), (5, 12.0)]


def test_planned_callbacks_and_streams_are_taken_together_in_time_order():
    m = Clock()
    agenda = Agenda(m)

    class Note:
        def __init__(self, name):
            self.name = name

        def __call__(self):
            m.log.append((self.name, m.time))
            if self.name == "a":  # planning while items are taken: later, and at the same time
                agenda.at(6.0, Note("c"))
                agenda.at(3.0, Note("b"))

    agenda.add_stream([1.0, 4.0, 7.0], lambda k: m.log.append((k, m.time)))
    agenda.at(2.0, Note("a"))
    agenda.at(3.0, Note("a2"))
    m.run_until(10.0)
    assert m.log == [(0, 1.0), ("a", 2.0), ("a2", 3.0), ("b", 3.0), (1, 4.0), ("c", 6.0), (2, 7.0)]
    assert next_event_time(m) == math.inf


def test_a_callback_planned_earlier_than_the_agendas_event_moves_it():
    m = Clock()
    agenda = Agenda(m)
    agenda.at(8.0, lambda: m.log.append(("late", m.time)))
    m.run_until(1.0)
    agenda.at(3.0, lambda: m.log.append(("early", m.time)))
    assert next_event_time(m) == 3.0
    m.run_until(10.0)
    assert m.log == [("early", 3.0), ("late", 8.0)]


def test_items_past_the_time_the_clock_runs_to_wait_for_the_next_run():
    """A live view steps the clock: nothing is taken ahead of where the clock is going."""
    m = Clock()
    agenda = Agenda(m)
    stream = agenda.add_stream([3.0, 8.0, 15.0, 21.0], lambda k: m.log.append((k, m.time)))
    m.step()
    assert m.log == [(0, 3.0), (1, 8.0)] and m.time == 10
    m.step()
    assert m.log[-1] == (2, 15.0) and stream.next == 3
    m.step()
    assert m.log[-1] == (3, 21.0)


def test_an_event_scheduled_while_taking_an_item_interrupts_the_batch():
    m = Clock()
    agenda = Agenda(m)
    agenda.add_stream([1.0, 2.0, 6.0], lambda k: m.log.append((k, m.time)) or
                      (k == 0 and m.schedule_event(m.note, at=4.0)))
    m.run_until(10.0)
    assert m.log == [(0, 1.0), (1, 2.0), ("event", 4.0), (2, 6.0)]
