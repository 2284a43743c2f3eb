#!/bin/bash
# Devstack plugin of the self-healing Tempest plugin: configures the
# services devstack enabled the way the self-healing flows need
# (flow-settings.yaml, through flow_settings.py), installs what is not a
# setting (mistral-extra, the external monitor), and writes the plugin's
# tempest.conf sections from what this devstack really has.
#
# Enable it after heat, aodh, ceilometer, zaqar, mistral (and vitrage): its
# post-config then comes after theirs and its settings win.

SELF_HEALING_DEVSTACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF_HEALING_MONITOR_USER=self-healing-monitor

# The helper that reads the table; its output is shell (iniset calls).
function self_healing_helper {
    python3 "$SELF_HEALING_DEVSTACK_DIR/flow_settings.py" "$@"
}

# The devstack service names the table and the flows depend on, those of
# them this node runs (comma-separated).
function self_healing_enabled {
    local name enabled=""
    for name in $(self_healing_helper names); do
        if is_service_enabled "$name"; then
            enabled+="$name,"
        fi
    done
    echo "${enabled%,}"
}

# What the cloud has on other nodes: a node of a cloud with the external
# monitor is in a Vitrage cloud (the monitor's alerts go to Vitrage), so
# a compute's Nova publishes to Vitrage's topic too.
function self_healing_cloud {
    if [[ "$SELF_HEALING_MONITOR" == "True" ]]; then
        echo vitrage
    fi
}

# Writes stdin to a root-owned file (of group $3 if given).
function self_healing_write_file {
    local path=$1 mode=$2 group=${3:-root} tmp
    tmp=$(mktemp)
    cat > "$tmp"
    sudo install -D -m "$mode" -g "$group" "$tmp" "$path"
    rm -f "$tmp"
}

function self_healing_configure_services {
    local lines
    lines=$(self_healing_helper iniset --branch "$TARGET_BRANCH" \
        --enabled "$(self_healing_enabled)" --cloud "$(self_healing_cloud)" \
        --per-vm "$SELF_HEALING_PER_VM") || die $LINENO "flow_settings.py could not render the settings of $SELF_HEALING_DEVSTACK_DIR/flow-settings.yaml (its error is above)"
    eval "$lines"
    # Read by vitrage-graph ([prometheus] config_file in the table).
    if is_service_enabled vitrage; then
        self_healing_helper vitrage-prometheus | \
            self_healing_write_file "$VITRAGE_CONF_DIR/prometheus_conf.yaml" 0644
    fi
}

# Ceilometer publishes events to Aodh only with CEILOMETER_EVENT_ALARM
# (settings sets it); ceilometer's post-config wrote the pipeline before
# this one runs.
function self_healing_check_event_pipeline {
    local topic pipeline=${CEILOMETER_CONF_DIR:-/etc/ceilometer}/event_pipeline.yaml
    is_service_enabled ceilometer-anotification && is_service_enabled aodh || return 0
    topic=$(self_healing_helper value aodh.conf listener event_alarm_topic)
    if ! grep -q "notifier://?topic=$topic\$" "$pipeline"; then
        die $LINENO "$pipeline publishes no events to Aodh (notifier://?topic=$topic): set CEILOMETER_EVENT_ALARM=True and enable_plugin self-healing-tempest-plugin after ceilometer"
    fi
}

# mistral-extra holds the heat.* and nova.* actions the workflows run;
# Mistral's requirements do not pull it in. From git with LIBS_FROM_GIT
# (Mistral's plugin does it), else from PyPI into Mistral's environment.
function self_healing_install_mistral_extra {
    is_service_enabled mistral || return 0
    if ! use_library_from_git mistral-extra; then
        pip_install mistral-extra
    fi
}

function self_healing_install_monitor {
    [[ "$SELF_HEALING_MONITOR" == "True" ]] || return 0
    if is_service_enabled n-cpu; then
        install_package prometheus-node-exporter
    fi
    if is_service_enabled vitrage-api; then
        install_package prometheus prometheus-alertmanager
    fi
}

# The exporter listens on SELF_HEALING_MONITOR_ADDRESS only: the scrape
# goes through that address's NIC, so a host whose NIC is down is lost.
function self_healing_configure_exporter {
    echo "ARGS=\"--web.listen-address=$SELF_HEALING_MONITOR_ADDRESS:9100\"" | \
        self_healing_write_file /etc/default/prometheus-node-exporter 0644
    sudo systemctl enable prometheus-node-exporter
    sudo systemctl restart prometheus-node-exporter
}

function self_healing_configure_prometheus {
    local rules=/etc/prometheus/self-healing-rules.yml
    self_healing_helper rules | self_healing_write_file "$rules" 0644
    self_healing_helper prometheus --rules-file "$rules" \
        --targets "$SELF_HEALING_MONITOR_TARGETS" | \
        self_healing_write_file /etc/prometheus/prometheus.yml 0644
    promtool check config /etc/prometheus/prometheus.yml || \
        die $LINENO "/etc/prometheus/prometheus.yml: promtool refuses it"
    sudo systemctl enable prometheus
    sudo systemctl restart prometheus
}

function self_healing_configure_monitor {
    [[ "$SELF_HEALING_MONITOR" == "True" ]] || return 0
    if is_service_enabled n-cpu; then
        self_healing_configure_exporter
    fi
    if is_service_enabled vitrage-api; then
        self_healing_configure_prometheus
    fi
}

# Once Vitrage's endpoint exists (its plugin's extra phase): the monitor's
# user, with a role in the project Vitrage's basic auth is scoped to
# ([service_credentials] project_name), and Alertmanager's webhook.
function self_healing_start_alertmanager {
    [[ "$SELF_HEALING_MONITOR" == "True" ]] || return 0
    is_service_enabled vitrage-api || return 0
    local url ca=""
    get_or_create_user "$SELF_HEALING_MONITOR_USER" "$SERVICE_PASSWORD" default
    get_or_add_user_project_role admin "$SELF_HEALING_MONITOR_USER" \
        "$SERVICE_PROJECT_NAME" default default
    url=$(vitrage_service_url)/v1/event
    if [[ $url == https://* ]]; then
        ca=$SSL_BUNDLE_FILE
    fi
    self_healing_helper alertmanager --url "$url" \
        --user "$SELF_HEALING_MONITOR_USER" --password "$SERVICE_PASSWORD" \
        --ca-file "$ca" | \
        self_healing_write_file /etc/prometheus/alertmanager.yml 0640 prometheus
    sudo amtool check-config /etc/prometheus/alertmanager.yml || \
        die $LINENO "/etc/prometheus/alertmanager.yml: amtool refuses it"
    sudo systemctl enable prometheus-alertmanager
    sudo systemctl restart prometheus-alertmanager
}

# The service faults (SELF_HEALING_SERVICE_FAULTS): Tempest's user may
# kill, start, restart, freeze and thaw the healers' units here, and
# nothing else (flow_settings.py sudoers).
function self_healing_configure_service_faults {
    [[ "$SELF_HEALING_SERVICE_FAULTS" == "True" ]] || return 0
    local rules=/etc/sudoers.d/60_self_healing_service_faults
    self_healing_helper sudoers --user "$SELF_HEALING_SERVICE_FAULT_USER" \
        --enabled "$(self_healing_enabled)" | \
        self_healing_write_file "$rules" 0440
    sudo visudo -c -f "$rules" || \
        die $LINENO "$rules: visudo refuses it"
}

# tempest.conf: what this devstack has, each flow on only when its
# services and prerequisites are there (it says why otherwise). A job's
# own local.conf test-config is merged after this and wins.
function self_healing_configure_tempest {
    local ttl lines
    ttl=$(iniget "$AODH_CONF" DEFAULT event_alarm_cache_ttl 2>/dev/null)
    if [[ -z "$ttl" ]]; then
        ttl=$(self_healing_helper value aodh.conf DEFAULT event_alarm_cache_ttl)
    fi
    sudo install -d -m 1777 "$SELF_HEALING_TIMELINE_DIR" "$SELF_HEALING_JOURNAL_DIR"
    # The message_bus stop condition asks devstack's RabbitMQ (AMQP port).
    local bus=""
    if is_service_enabled rabbit; then
        bus="$SERVICE_HOST:5672"
    fi
    lines=$(self_healing_helper tempest --enabled "$(self_healing_enabled)" \
        --compute-hosts "$SELF_HEALING_COMPUTE_HOSTS" \
        --host-addresses "$SELF_HEALING_HOST_ADDRESSES" \
        --ssh-key-file "$SELF_HEALING_HOST_SSH_KEY_FILE" \
        --monitor "$SELF_HEALING_MONITOR" --per-vm "$SELF_HEALING_PER_VM" \
        --negative "$SELF_HEALING_NEGATIVE_CHECKS" --ttl "$ttl" \
        --service-faults "$SELF_HEALING_SERVICE_FAULTS" \
        --set "timeline_dir=$SELF_HEALING_TIMELINE_DIR" \
        --set "fault_journal_dir=$SELF_HEALING_JOURNAL_DIR" \
        --set "kill_switch_file=$SELF_HEALING_KILL_SWITCH_FILE" \
        --set "message_bus_address=$bus" \
        --set "host_ssh_user=$SELF_HEALING_HOST_SSH_USER" \
        --set "host_nic=$SELF_HEALING_HOST_NIC" \
        --set "host_stop_command=$SELF_HEALING_HOST_STOP_COMMAND" \
        --set "host_start_command=$SELF_HEALING_HOST_START_COMMAND" \
        --set "compute_restart_command=$SELF_HEALING_COMPUTE_RESTART_COMMAND") \
        || die $LINENO "flow_settings.py could not render tempest.conf from $SELF_HEALING_DEVSTACK_DIR/flow-settings.yaml (its error is above)"
    eval "$lines"
    # The leak check's "before": Tempest and its plugins are installed and
    # no test has run yet (the Zuul post-run compares with it).
    if [[ -n "$SELF_HEALING_LEAKS_BEFORE_FILE" ]]; then
        "$TEMPEST_DIR/.tox/tempest/bin/self-healing-leaks" \
            --config-file "$TEMPEST_CONFIG" snapshot \
            --output "$SELF_HEALING_LEAKS_BEFORE_FILE" \
            || die $LINENO "self-healing-leaks snapshot failed"
    fi
}

if [[ "$1" == "stack" && "$2" == "install" ]]; then
    echo_summary "Installing what the self-healing flows need"
    self_healing_install_mistral_extra
    self_healing_install_monitor
elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
    echo_summary "Configuring the services for the self-healing flows"
    self_healing_configure_services
    self_healing_check_event_pipeline
    self_healing_configure_monitor
elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
    # Again, before the services of the plugins enabled after this one
    # start: Zuul's devstack role writes the enable_plugin lines sorted by
    # name, so vitrage's and zaqar's post-config ran after ours and
    # overwrote what they also set (vitrage: [service_credentials]
    # project_name, [datasources] types). Their extra phase, which starts
    # them, comes after this one; for the others the values are the same.
    self_healing_configure_services
    self_healing_start_alertmanager
elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
    if is_service_enabled tempest; then
        echo_summary "Configuring Tempest for the self-healing flows"
        self_healing_configure_service_faults
        self_healing_configure_tempest
    fi
fi
