"""What people see and take away: pictures, their own images, downloads, the decoder the browser runs."""
