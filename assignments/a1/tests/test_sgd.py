from grader.checks import assert_close, expect_dict, expect_number, expect_tuple


def test_sgd_steps(student, reference, rng, tolerance):
    """sgd: three steps with a given learning rate match the reference"""
    w, config = rng.standard_normal((4, 3)), {"learning_rate": 0.1}
    expected_w, expected_config = w.copy(), dict(config)
    for step in range(3):
        dw = rng.standard_normal(w.shape)
        returned = student.optim.sgd(w, dw, config)
        w, config = expect_tuple(returned, 2, "sgd should return (next_w, config); it")
        expected_w, expected_config = reference.optim.sgd(expected_w, dw, expected_config)
        assert_close(w, expected_w, f"next_w after step {step + 1}", tolerance("forward"))


def test_sgd_default_config(student, rng, tolerance):
    """sgd: config=None uses learning_rate 1e-2 and returns it in config"""
    w, dw = rng.standard_normal(5), rng.standard_normal(5)
    next_w, config = expect_tuple(student.optim.sgd(w, dw, None), 2, "sgd(w, dw, None)")
    assert_close(next_w, w - 1e-2 * dw, "next_w", tolerance("forward"))
    config = expect_dict(config, "the config returned by sgd(w, dw, None)")
    rate = expect_number(config.get("learning_rate"), "config['learning_rate']")
    assert_close(rate, 1e-2, "config['learning_rate']", tolerance("forward"))
