"""The typical mistakes of 02-time-to-loss, 02-deep, 02-sparse
(course_utils/exercises/mnist_autoencoder.py): each must fail its check with its message."""

from __future__ import annotations

from exercise_mistakes import Mistake, edit

MISTAKES = {
    "02-time-to-loss": (
        Mistake(
            "def my_time_to_loss(history, target):\n"
            "    for epoch, v in enumerate(history.history['val_loss']):\n"
            "        if v <= target:\n"
            "            return epoch\n"
            "    return None",
            "epoch number",
            "returns the epoch index instead of the time",
        ),
        Mistake(
            "def my_time_to_loss(history, target):\n"
            "    for v, t in zip(history.history['loss'], history.history['time']):\n"
            "        if v <= target:\n"
            "            return t\n"
            "    return None",
            "training loss",
            "looks at the training loss instead of the validation loss",
        ),
        Mistake(
            "def my_time_to_loss(history, target):\n"
            "    times = [t for v, t in zip(history.history['val_loss'], history.history['time']) if v <= target]\n"
            "    return times[-1] if times else None",
            "first",
            "returns the last epoch below the target instead of the first",
        ),
        Mistake(
            "def my_time_to_loss(history, target):\n"
            "    for v, t in zip(history.history['val_loss'], history.history['time']):\n"
            "        if v <= target:\n"
            "            return t\n"
            "    return history.history['time'][-1]",
            "never reached",
            "returns the total time when the target is never reached",
        ),
    ),
    "02-deep": (
        Mistake(
            edit(
                "02-deep",
                (
                    'layers.Dense(784, activation="sigmoid", bias_initializer=mean_pixel_bias(x_train))',
                    "layers.Dense(784)",
                ),
            ),
            "outputs are not in [0, 1]",
            "forgot the sigmoid on the output layer",
        ),
        Mistake(
            edit("02-deep", ('layers.Dense(32, activation="relu"),           # the code: 32 numbers per image\n', "")),
            "your encoder outputs 64 numbers per image; the task asks for 32",
            "left out the 32-unit code layer",
        ),
        Mistake(
            edit("02-deep", ("deep_autoencoder.fit(x_train, x_train,", "deep_autoencoder.fit(x_test, x_test,")),
            "test set",
            "trained on the test images",
        ),
        Mistake(
            edit("02-deep", ("validation_data=(x_val, x_val)", "validation_data=(x_test, x_test)")),
            "not the model's loss on x_val",
            "validated on the test set",
        ),
        Mistake(
            edit("02-deep", ("decay_epochs=EPOCHS_DEEP / 2)", "decay_epochs=EPOCHS_DEEP / 2, peak=1e-7)")),
            "not below the loss to beat",
            "trained far too little",
        ),
    ),
    "02-sparse": (
        Mistake(
            edit("02-sparse", ("activity_regularizer=", "kernel_regularizer=")),
            "kernel_regularizer",
            "penalised the weights instead of the code",
        ),
        Mistake(
            edit("02-sparse", ("keras.regularizers.l1(l1)", "keras.regularizers.l2(l1)")),
            "L2",
            "an L2 instead of an L1 penalty",
        ),
        Mistake(
            edit(
                "02-sparse",
                ("activity_regularizer=keras.regularizers.l1(l1))(input_img)   # penalise the code", ")(input_img)"),
                (
                    'layers.Dense(784, activation="sigmoid")',
                    'layers.Dense(784, activation="sigmoid", activity_regularizer=keras.regularizers.l1(l1))',
                ),
            ),
            "output layer",
            "put the penalty on the output layer",
        ),
        Mistake(
            edit("02-sparse", ("keras.regularizers.l1(l1)", "keras.regularizers.l1(1e-4)")),
            "ignores the l1 argument",
            "a fixed penalty instead of the argument",
        ),
        Mistake(
            edit("02-sparse", ("Dense(32,", "Dense(64,")),
            "your encoder outputs 64 numbers per image; the task asks for 32",
            "a code of the wrong width",
        ),
    ),
}
