"""The live window's toolbar: pause, input device, silence level, silence mode and floor margin,
screenshot and save-labels buttons."""

from __future__ import annotations

from PyQt5 import QtCore, QtGui, QtWidgets


def build_toolbar(win) -> None:
    """Add the controls toolbar to ``win`` (a :class:`~stream_tagger.gui.window.LiveWindow`): sets
    its ``pause_button``, ``device_combo`` (None unless the input is a device), ``silence_spin``
    (dBFS), ``mode_combo`` and ``margin_spin`` (dB), wired to its ``set_paused``,
    ``_device_chosen``, ``set_silence_dbfs``, ``set_silence_mode``, ``set_floor_margin_db``,
    ``_ask_screenshot`` and ``_ask_save_labels``; initial values from ``win.feed``."""
    tb = win.addToolBar("controls")
    tb.setMovable(False)
    win.pause_button = QtWidgets.QPushButton("Pause")
    win.pause_button.setCheckable(True)
    win.pause_button.setShortcut(QtGui.QKeySequence(QtCore.Qt.Key_Space))
    win.pause_button.setToolTip("Freeze the display (analysis keeps running) [Space]")
    win.pause_button.toggled.connect(win.set_paused)
    tb.addWidget(win.pause_button)
    tb.addSeparator()

    win.device_combo = None
    if win.feed.is_live:
        tb.addWidget(QtWidgets.QLabel(" Input: "))
        win.device_combo = QtWidgets.QComboBox()
        win.device_combo.setMinimumWidth(260)
        current = win.feed.current_device()
        for idx, name in win.feed.input_devices():
            win.device_combo.addItem(name, idx)
            if idx == current:
                win.device_combo.setCurrentIndex(win.device_combo.count() - 1)
        win.device_combo.activated.connect(win._device_chosen)
        tb.addWidget(win.device_combo)
        tb.addSeparator()

    tb.addWidget(QtWidgets.QLabel(" Silence below "))
    win.silence_spin = QtWidgets.QDoubleSpinBox()
    win.silence_spin.setRange(-100.0, 0.0)
    win.silence_spin.setSingleStep(1.0)
    win.silence_spin.setDecimals(1)
    win.silence_spin.setSuffix(" dBFS")
    win.silence_spin.setValue(win.feed.silence_dbfs)
    win.silence_spin.valueChanged.connect(win.set_silence_dbfs)
    tb.addWidget(win.silence_spin)
    tb.addWidget(QtWidgets.QLabel(" mode "))
    win.mode_combo = QtWidgets.QComboBox()
    win.mode_combo.addItems(["absolute", "floor"])
    win.mode_combo.setToolTip("absolute: silence only below the level; floor: also near the input's "
                               "tracked noise floor while neither speech nor music is on")
    win.mode_combo.setCurrentText(win.feed.silence_mode)
    win.mode_combo.currentTextChanged.connect(win.set_silence_mode)
    tb.addWidget(win.mode_combo)
    tb.addWidget(QtWidgets.QLabel(" floor + "))
    win.margin_spin = QtWidgets.QDoubleSpinBox()
    win.margin_spin.setRange(0.0, 40.0)
    win.margin_spin.setSingleStep(1.0)
    win.margin_spin.setDecimals(1)
    win.margin_spin.setSuffix(" dB")
    win.margin_spin.setToolTip("floor mode: silent up to this far above the tracked noise floor")
    win.margin_spin.setValue(win.feed.floor_margin_db)
    win.margin_spin.setEnabled(win.feed.silence_mode == "floor")
    win.margin_spin.valueChanged.connect(win.set_floor_margin_db)
    tb.addWidget(win.margin_spin)
    tb.addSeparator()

    shot = QtWidgets.QPushButton("Screenshot…")
    shot.clicked.connect(win._ask_screenshot)
    tb.addWidget(shot)
    save = QtWidgets.QPushButton("Save labels…")
    save.clicked.connect(win._ask_save_labels)
    tb.addWidget(save)
