"""The typical mistakes of 01-bce, 01-code-size, 01-linear-ae
(course_utils/exercises/background.py): each must fail its check with its message."""

from __future__ import annotations

from exercise_mistakes import Mistake, edit

MISTAKES = {
    "01-bce": (
        Mistake(
            "def my_bce(x, x_hat):\n    return float(np.mean(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)))",
            "negative",
            "forgot the minus sign",
        ),
        Mistake(
            "def my_bce(x, x_hat):\n    return float(np.mean(-x * np.log(x_hat)))",
            "differs from keras",
            "only the x·log p half of the formula",
        ),
        Mistake(
            "def my_bce(x, x_hat):\n    return float(np.mean(-(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat))))",
            "without nan or inf",
            "no clipping: log(0) for a perfect 0/1 prediction",
        ),
        Mistake(
            "def my_bce(x, x_hat, eps=1e-7):\n    x_hat = ...\n    return ...",
            "not attempted yet",
            "the untouched scaffold",
        ),
    ),
    "01-code-size": (
        Mistake(
            "def choose_code_size(table, max_error):\n"
            "    ok = [k for k in table.index if k < 784 and table.loc[k, 'train MSE'] <= max_error]\n"
            "    return min(ok) if ok else None",
            "training column",
            "chose by the training error",
        ),
        Mistake(
            "def choose_code_size(table, max_error):\n"
            "    ok = [k for k in table.index if k < 784 and table.loc[k, 'test MSE'] <= max_error]\n"
            "    return min(ok) if ok else None",
            "test column",
            "chose by the test error",
        ),
        Mistake(
            "def choose_code_size(table, max_error):\n"
            "    ok = [k for k in table.index if table.loc[k, 'validation MSE'] <= max_error]\n"
            "    return min(ok) if ok else None",
            "compresses nothing",
            "forgot that codes of 784 numbers or more do not count",
        ),
        Mistake(
            "def choose_code_size(table, max_error):\n"
            "    for k in table.index:\n"
            "        if k < 784 and table.loc[k, 'validation MSE'] <= max_error:\n"
            "            return k\n"
            "    return None",
            "smaller code",
            "returned the first qualifying row instead of the smallest size",
        ),
        Mistake(
            "def choose_code_size(table, max_error):\n"
            "    under = table[table.index < 784]\n"
            "    return under['validation MSE'].idxmin()",
            "smaller code",
            "returned the size with the lowest validation error, ignoring the budget",
        ),
    ),
    "01-linear-ae": (
        Mistake(
            edit("01-linear-ae", ("layers.Dense(K_EXERCISE),", 'layers.Dense(K_EXERCISE, activation="relu"),')),
            "relu activation",
            "a ReLU code layer: no longer linear",
        ),
        Mistake(
            edit("01-linear-ae", ("layers.Dense(K_EXERCISE),", "layers.Dense(8),")),
            "8 units",
            "the code size of the lesson's cell (8) instead of 2",
        ),
        Mistake(
            edit(
                "01-linear-ae",
                ("my_linear_ae.fit(x_train, x_train, epochs=epochs, batch_size=128, shuffle=True, verbose=0)", ""),
            ),
            "not (yet)",
            "built and compiled but never trained",
        ),
        Mistake(
            edit("01-linear-ae", ('loss="mse"', 'loss="binary_crossentropy"')),
            "loss='mse'",
            "binary cross-entropy: PCA's optimum is that of the squared error",
        ),
    ),
}
